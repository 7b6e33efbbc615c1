using DDist.Augment;

namespace DDist.Distillation;

/// <summary>Settings of DC and DSA (Zhao et al. ICLR 2021; Zhao &amp; Bilen ICML 2021; DC repository `main.py`):
/// the recipe's <see cref="GradientMatchingSettings"/> plus what the comparison decides per run (method, IPC, start,
/// distance, DSA strategy, seed). Defaults are the reference's: 1000 iterations, lr_img 0.1 with momentum 0.5, lr_net
/// 0.01, batch_real and batch_train 256, noise start, the layer-wise distance, loops from <see cref="Loops"/>.</summary>
public sealed record GradientMatchingOptions : GradientMatchingSettings
{
    public GradientMatchingOptions() { }

    /// <summary>A recipe's settings (the comparison's <c>dc</c> or <c>dsa</c> section), copied whole.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public GradientMatchingOptions(GradientMatchingSettings settings, int ipc) : base(settings) { Ipc = ipc; }

    /// <summary>"dc" or "dsa"; names the set's method.</summary>
    public string Method { get; init; } = "dc";
    public required int Ipc { get; init; }
    public double ImageMomentum { get; init; } = 0.5;
    public SyntheticStart Start { get; init; } = SyntheticStart.Noise;
    public GradientDistance Distance { get; init; } = GradientDistance.LayerWise;
    /// <summary>Siamese DSA on the real and synthetic batches and DSA in the inner training (the DSA method).</summary>
    public bool Dsa { get; init; }
    public string DsaStrategy { get; init; } = DsaStrategies.Default;
    /// <summary>The DC repository's DSA (affine warps with align_corners = false).</summary>
    public DsaParams DsaParams { get; init; } = DsaParams.DatasetCondensation;
    /// <summary>Real images per class whose batch statistics set a BatchNorm network's running statistics before
    /// they are frozen (the reference's BNSizePC).</summary>
    public int BnImagesPerClass { get; init; } = 16;
    public int Seed { get; init; }

    /// <summary>The reference's `get_loops(ipc)`: (outer_loop, inner_loop) for IPC 1, 10, 20, 30, 40, 50.</summary>
    public static (int Outer, int Inner)? Loops(int ipc) => ipc switch
    {
        1 => (1, 1),
        10 => (10, 50),
        20 => (20, 25),
        30 => (30, 20),
        40 => (40, 15),
        50 => (50, 10),
        _ => null,
    };

    /// <summary>The loops this run uses; throws naming the IPC when the table has none and none were given.</summary>
    public (int Outer, int Inner) ResolveLoops()
    {
        var table = Loops(Ipc);
        int? outer = OuterLoop ?? table?.Outer, inner = InnerLoop ?? table?.Inner;
        if (outer is not int o || inner is not int i)
            throw new ArgumentException($"IPC {Ipc}: the reference defines outer/inner loops only for IPC 1, 10, 20, 30, 40 and 50; set outerLoop and innerLoop");
        return (o, i);
    }

    public void Validate()
    {
        var e = new FieldErrors();
        e.Need(Ipc >= 1, "ipc", $"is {Ipc}, expected ≥ 1");
        Check(e, new[] { Ipc }.Where(i => i >= 1));
        e.Need(ImageMomentum >= 0, "imageMomentum", $"is {ImageMomentum}, expected ≥ 0");
        e.Need(BnImagesPerClass >= 1, "bnImagesPerClass", $"is {BnImagesPerClass}, expected ≥ 1");
        e.ThrowIfAny($"{Method} options");
    }
}
