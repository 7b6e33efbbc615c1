using DDist.Data;
using DDist.Torch;

namespace DDist.Bench;

/// <summary>The data both pipeline benchmarks use, read and normalised once: Fashion-MNIST (Debian's copy) with
/// DC's constants. bench/pytorch/fmnist_work.py reads the same files the same way.</summary>
internal static class FashionMnistWork
{
    private static RawDataset? _raw;
    public static RawDataset Raw => _raw ??= DatasetRegistry.Load("fashion-mnist");

    /// <summary>The first <paramref name="count"/> images of a split as a normalised dataset.</summary>
    public static ImageDataset First(RawImageSet split, int count) =>
        ImageDataset.FromRaw(split.Subset(Enumerable.Range(0, Math.Min(count, split.Count)).Select(i => (long)i).ToArray()),
                             Normalization.FashionMnistDc, Device.Cpu, "fashion-mnist");

    /// <summary>The first <paramref name="perClass"/> images of every class, class-major.</summary>
    public static ImageDataset FirstPerClass(RawImageSet split, int perClass) =>
        ImageDataset.FromRaw(split.Subset(split.IndicesByClass().SelectMany(c => c.Take(perClass)).Select(i => (long)i).ToArray()),
                             Normalization.FashionMnistDc, Device.Cpu, "fashion-mnist");
}
