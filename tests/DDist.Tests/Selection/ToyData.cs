using DDist.Data;
using DDist.Torch;

namespace DDist.Tests.Selection;

/// <summary>Small labelled image sets for tests: random pixels, class-interleaved labels.</summary>
internal static class ToyData
{
    public static ImageDataset Make(long[] labels, int classes, int channels = 1, int h = 4, int w = 4, ulong seed = 1, DType dtype = DType.Float32)
    {
        Tensors.ManualSeed(seed);
        return new ImageDataset
        {
            Name = "toy",
            Images = Tensors.Randn([labels.Length, channels, h, w], dtype).DetachFromScope(),
            Labels = Tensors.FromArray(labels).DetachFromScope(),
            NumClasses = classes,
            ClassNames = Enumerable.Range(0, classes).Select(c => c.ToString()).ToArray(),
        };
    }

    public static long[] Interleaved(int perClass, int classes) =>
        Enumerable.Range(0, perClass * classes).Select(i => (long)(i % classes)).ToArray();
}
