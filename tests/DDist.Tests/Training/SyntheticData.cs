using DDist.Data;
using DDist.Torch;

namespace DDist.Tests.Training;

/// <summary>Labelled Gaussian blobs shaped like images: class c has its own random mean image, samples add
/// unit noise. Separable enough that a small network learns them in a few epochs.</summary>
internal static class SyntheticData
{
    public static ImageDataset Blobs(int count, int classes, ulong seed, int channels = 1, int size = 6, double spread = 1.0, string name = "blobs")
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(seed);
        var means = Tensors.Randn([classes, channels, size, size]);
        var labels = Tensors.FromArray(Enumerable.Range(0, count).Select(i => (long)(i % classes)).ToArray());
        var images = means.IndexSelect(0, labels).Add(Tensors.Randn([count, channels, size, size]).Mul(spread));
        return new ImageDataset
        {
            Name = name,
            Images = images.DetachFromScope(),
            Labels = labels.DetachFromScope(),
            NumClasses = classes,
            ClassNames = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray(),
        };
    }
}
