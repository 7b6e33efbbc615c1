using DDist.Torch;

namespace DDist.Augment;

/// <summary>Settings of <see cref="Augmenter"/>: the DSA strategy and parameters, and whether the simple
/// augmentation flips.</summary>
public sealed record AugmentOptions
{
    public string DsaStrategy { get; init; } = DsaStrategies.Default;
    public DsaParams Dsa { get; init; } = DsaParams.Default;
    public bool SimpleFlip { get; init; } = true;

    /// <summary>The one place that decides augmentation per dataset: the reference's choices (no flip, in DSA or in
    /// the simple crop+flip, for MNIST and SVHN: "flip augmentation is not good for digit datasets", DSA README).
    /// <paramref name="dsaStrategy"/> overrides the default strategy; for digits its flip is removed.</summary>
    public static AugmentOptions ForDataset(string dataset, DsaParams? dsa = null, string? dsaStrategy = null) =>
        new AugmentOptions { DsaStrategy = dsaStrategy ?? DsaStrategies.Default, Dsa = dsa ?? DsaParams.Default }.WithDatasetRules(dataset);

    /// <summary>These options with the dataset's rules applied (idempotent): for digits, no flip anywhere. Every
    /// training loop that knows its dataset passes its options through here, so no path mirrors digits.</summary>
    public AugmentOptions WithDatasetRules(string dataset) => DsaStrategies.IsDigitDataset(dataset)
        ? this with { DsaStrategy = DsaStrategies.WithoutFlip(DsaStrategy), SimpleFlip = false }
        : this;
}

/// <summary>The single entry point training loops call to augment a minibatch. Every result is a new tensor
/// (owned by the current scope), differentiable with respect to x.</summary>
public static class Augmenter
{
    /// <summary>Augments x (N, C, H, W). For <see cref="AugMode.Combined"/>, <paramref name="dsaMask"/> (bool, N)
    /// marks the samples that get DSA (the distilled images, each with its own family); the others get the
    /// simple augmentation. The mask is ignored by the other modes.</summary>
    public static Tensor Apply(Tensor x, AugMode mode, AugmentOptions options, Tensor? dsaMask = null) => mode switch
    {
        AugMode.None => x.Alias(),
        AugMode.Dsa => Dsa.Augment(x, options.DsaStrategy, options.Dsa),
        AugMode.Simple => SimpleAugment.Apply(x, options.SimpleFlip),
        AugMode.Combined => Combined(x, options, dsaMask ?? throw new ArgumentException("combined augmentation needs a mask of the samples that get DSA", nameof(dsaMask))),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown augmentation mode"),
    };

    /// <summary>As <see cref="Apply(Tensor, AugMode, AugmentOptions, Tensor?)"/> with the first
    /// <paramref name="distilledCount"/> samples getting DSA in combined mode (SEL saves distilled images first).</summary>
    public static Tensor Apply(Tensor x, AugMode mode, AugmentOptions options, int distilledCount)
    {
        if (mode != AugMode.Combined) return Apply(x, mode, options);
        long n = x.Size(0);
        if (distilledCount < 0) throw new ArgumentOutOfRangeException(nameof(distilledCount), distilledCount, "must not be negative");
        long k = Math.Min(distilledCount, n);
        if (k == 0) return SimpleAugment.Apply(x, options.SimpleFlip);
        if (k == n) return Dsa.AugmentPerSample(x, options.DsaStrategy, options.Dsa);
        using var scope = new TensorScope();
        var distilled = Dsa.AugmentPerSample(x.Narrow(0, 0, k), options.DsaStrategy, options.Dsa);
        var real = SimpleAugment.Apply(x.Narrow(0, k, n - k), options.SimpleFlip);
        return Tensors.Cat([distilled, real]).MoveToOuterScope();
    }

    private static Tensor Combined(Tensor x, AugmentOptions options, Tensor dsaMask)
    {
        long n = x.Size(0);
        var mask = dsaMask.To(DType.Bool, Device.Cpu);
        var flags = mask.ToArray<bool>();
        mask.Dispose();
        if (flags.Length != n)
            throw new ArgumentException($"combined augmentation: mask has {flags.Length} entries for a batch of {n}", nameof(dsaMask));
        var dsaIdx = Enumerable.Range(0, (int)n).Where(i => flags[i]).Select(i => (long)i).ToArray();
        var simpleIdx = Enumerable.Range(0, (int)n).Where(i => !flags[i]).Select(i => (long)i).ToArray();
        if (simpleIdx.Length == 0) return Dsa.AugmentPerSample(x, options.DsaStrategy, options.Dsa);
        if (dsaIdx.Length == 0) return SimpleAugment.Apply(x, options.SimpleFlip);

        using var scope = new TensorScope();
        var distilled = Dsa.AugmentPerSample(x.IndexSelect(0, Tensors.FromArray(dsaIdx).To(x.Device)), options.DsaStrategy, options.Dsa);
        var real = SimpleAugment.Apply(x.IndexSelect(0, Tensors.FromArray(simpleIdx).To(x.Device)), options.SimpleFlip);
        return BatchPartition.Reassemble([distilled, real], [.. dsaIdx, .. simpleIdx], x.Device).MoveToOuterScope();
    }
}
