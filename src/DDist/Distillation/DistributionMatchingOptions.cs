using DDist.Augment;

namespace DDist.Distillation;

/// <summary>Settings of DM (Zhao &amp; Bilen WACV 2023, DC repository `main_DM.py`). Defaults are the reference's:
/// 20000 iterations, lr_img 1 with momentum 0.5, batch_real 256, real start, Siamese DSA.</summary>
public sealed record DistributionMatchingOptions
{
    public required int Ipc { get; init; }
    public int Iterations { get; init; } = 20000;
    public double LrImg { get; init; } = 1.0;
    public double ImageMomentum { get; init; } = 0.5;
    public int BatchReal { get; init; } = 256;
    public SyntheticStart Start { get; init; } = SyntheticStart.Real;
    public bool Dsa { get; init; } = true;
    public string DsaStrategy { get; init; } = DsaStrategies.Default;
    public DsaParams DsaParams { get; init; } = DsaParams.DatasetCondensation;
    public int Seed { get; init; }

    public void Validate()
    {
        if (Ipc < 1) throw new ArgumentException($"ipc is {Ipc}, expected ≥ 1");
        if (Iterations < 0) throw new ArgumentException($"iterations is {Iterations}, expected ≥ 0");
        if (!(LrImg > 0)) throw new ArgumentException($"lrImg is {LrImg}, expected > 0");
        if (ImageMomentum < 0) throw new ArgumentException($"imageMomentum is {ImageMomentum}, expected ≥ 0");
        if (BatchReal < 1) throw new ArgumentException($"batchReal is {BatchReal}, expected ≥ 1");
    }
}
