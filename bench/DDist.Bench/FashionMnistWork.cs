using DDist.Data;
using DDist.Torch;

namespace DDist.Bench;

/// <summary>The data both pipeline benchmarks use, read and normalised once: Fashion-MNIST (Debian's copy) by
/// default, or the set named by --dataset (mnist on a GPU machine, carried there), with DC's constants, on the
/// bench's device. bench/pytorch/fmnist_work.py reads the same files the same way.</summary>
internal static class FashionMnistWork
{
    private static RawDataset? _raw;
    private static string? _name;

    private static RawDataset Load(BenchSettings settings)
    {
        if (_raw is null || _name != settings.Dataset) (_raw, _name) = (DatasetRegistry.Load(settings.Dataset), settings.Dataset);
        return _raw;
    }

    private static Normalization Norm(BenchSettings settings) => settings.Dataset switch
    {
        "fashion-mnist" => Normalization.FashionMnistDc,
        "mnist" => Normalization.MnistDc,
        var other => throw new ArgumentException($"--dataset {other}: the bench reads fashion-mnist or mnist"),
    };

    /// <summary>Fashion-MNIST on the CPU, for cases that do not take --dataset/--device.</summary>
    public static RawDataset Raw => Load(new BenchSettings(0, 0, 0, 0, 0, 0));

    public static ImageDataset First(RawImageSet split, int count) =>
        ImageDataset.FromRaw(split.Subset(Enumerable.Range(0, Math.Min(count, split.Count)).Select(i => (long)i).ToArray()),
                             Normalization.FashionMnistDc, Device.Cpu, "fashion-mnist");

    /// <summary>The first <paramref name="count"/> images of a split as a normalised dataset.</summary>
    public static ImageDataset First(BenchSettings settings, bool train, int count)
    {
        var split = train ? Load(settings).Train : Load(settings).Test;
        return ImageDataset.FromRaw(split.Subset(Enumerable.Range(0, Math.Min(count, split.Count)).Select(i => (long)i).ToArray()),
                                    Norm(settings), settings.TorchDevice, settings.Dataset);
    }

    /// <summary>The first <paramref name="perClass"/> training images of every class, class-major.</summary>
    public static ImageDataset FirstPerClass(BenchSettings settings, int perClass)
    {
        var split = Load(settings).Train;
        return ImageDataset.FromRaw(split.Subset(split.IndicesByClass().SelectMany(c => c.Take(perClass)).Select(i => (long)i).ToArray()),
                                    Norm(settings), settings.TorchDevice, settings.Dataset);
    }
}
