using DDist.Torch;

namespace DDist.Distillation;

/// <summary>How DC, DSA and DM start their synthetic images: 'noise' (N(0, 1) pixels in normalised space, DC's
/// default) or 'real' (random real images of each class, DM's default and the DSA README's choice).</summary>
public enum SyntheticStart { Noise, Real }

/// <summary>The learnable images of a class-conditional synthetic set, class-major (class 0's IPC images first).</summary>
public sealed class SyntheticInit : IDisposable
{
    /// <summary>(K·IPC, C, H, W), a leaf that requires grad.</summary>
    public required Tensor Images { get; init; }
    /// <summary>int64 (K·IPC): class c at rows c·IPC … c·IPC + IPC − 1.</summary>
    public required Tensor Labels { get; init; }
    /// <summary>Per image: the training index it started from, −1 for noise.</summary>
    public required long[] SourceIndex { get; init; }
    public required int Ipc { get; init; }

    public static SyntheticStart Parse(string text, string field) => text.Trim().ToLowerInvariant() switch
    {
        "noise" => SyntheticStart.Noise,
        "real" => SyntheticStart.Real,
        _ => throw new ArgumentException($"field '{field}' is '{text}', expected 'noise' or 'real'"),
    };

    /// <summary>Draws the starting images from libtorch's generator. Throws before drawing anything when a
    /// class has fewer than IPC images and the start is 'real'.</summary>
    public static SyntheticInit Create(ClassImagePool pool, int ipc, SyntheticStart start)
    {
        if (ipc < 1) throw new ArgumentOutOfRangeException(nameof(ipc), ipc, "images per class must be ≥ 1");
        var data = pool.Data;
        if (start == SyntheticStart.Real)
            for (int c = 0; c < pool.NumClasses; c++)
                if (pool.ClassSize(c) < ipc)
                    throw new ArgumentException($"dataset '{data.Name}': class {c} has {pool.ClassSize(c)} training images, fewer than IPC {ipc}");
        using var scope = new TensorScope();
        int k = pool.NumClasses;
        var labels = Tensors.Arange(k, DType.Int64, data.Images.Device).Unsqueeze(1).Expand(k, ipc).Reshape(-1);
        Tensor images;
        var source = Enumerable.Repeat(-1L, k * ipc).ToArray();
        using (Tensors.NoGrad())
        {
            if (start == SyntheticStart.Noise)
                images = Tensors.Randn([k * ipc, data.Channels, data.Height, data.Width], data.Images.DType, data.Images.Device);
            else
            {
                var parts = new List<Tensor>();
                for (int c = 0; c < k; c++)
                {
                    var idx = pool.SampleIndices(c, ipc);
                    var host = idx.To(Device.Cpu).ToArray<long>();
                    Array.Copy(host, 0, source, c * ipc, ipc);
                    parts.Add(data.Images.IndexSelect(0, idx));
                }
                images = Tensors.Cat(parts).Clone();
            }
        }
        return new SyntheticInit
        {
            Images = images.DetachFromScope().RequiresGrad_(), Labels = labels.Contiguous().DetachFromScope(), SourceIndex = source, Ipc = ipc,
        };
    }

    /// <summary>Class c's rows of <paramref name="x"/> (a view).</summary>
    public Tensor Class(Tensor x, int c) => x.Narrow(0, (long)c * Ipc, Ipc);

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
