using DDist.Augment;

namespace DDist.Distillation;

/// <summary>Settings of DM (Zhao &amp; Bilen WACV 2023, DC repository `main_DM.py`): the recipe's
/// <see cref="DistributionMatchingSettings"/> plus what the comparison decides per run (IPC, start, DSA strategy,
/// seed). Defaults are the reference's: 20000 iterations, lr_img 1 with momentum 0.5, batch_real 256, real start,
/// Siamese DSA.</summary>
public sealed record DistributionMatchingOptions : DistributionMatchingSettings
{
    public DistributionMatchingOptions() { }

    /// <summary>A recipe's settings (the comparison's <c>dm</c> section), copied whole.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public DistributionMatchingOptions(DistributionMatchingSettings settings, int ipc) : base(settings) { Ipc = ipc; }

    public required int Ipc { get; init; }
    public double ImageMomentum { get; init; } = 0.5;
    public SyntheticStart Start { get; init; } = SyntheticStart.Real;
    public string DsaStrategy { get; init; } = DsaStrategies.Default;
    public DsaParams DsaParams { get; init; } = DsaParams.DatasetCondensation;
    public int Seed { get; init; }

    public void Validate()
    {
        var e = new FieldErrors();
        e.Need(Ipc >= 1, "ipc", $"is {Ipc}, expected ≥ 1");
        Check(e);
        e.Need(ImageMomentum >= 0, "imageMomentum", $"is {ImageMomentum}, expected ≥ 0");
        e.ThrowIfAny("DM options");
    }
}
