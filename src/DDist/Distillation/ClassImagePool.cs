using DDist.Data;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>The real training images grouped by class, for the per-class sampling of DC, DSA and DM (the
/// reference's `get_images(c, n)`: a random permutation of class c's indices, first n). Draws come from
/// libtorch's generator so a seeded run replays. Does not own the dataset.</summary>
public sealed class ClassImagePool : IDisposable
{
    private readonly Tensor[] _indices;

    public ImageDataset Data { get; }
    public int NumClasses => _indices.Length;

    public ClassImagePool(ImageDataset data)
    {
        Data = data;
        var byClass = data.IndicesByClass();
        using var scope = new TensorScope();
        _indices = new Tensor[byClass.Length];
        for (int c = 0; c < byClass.Length; c++)
        {
            if (byClass[c].Length == 0) throw new ArgumentException($"dataset '{data.Name}': class {c} has no training images");
            _indices[c] = Tensors.FromArray(byClass[c]).To(data.Images.Device).DetachFromScope();
        }
    }

    public int ClassSize(int c) => (int)_indices[c].NumEl;

    /// <summary>Training indices of up to <paramref name="n"/> random images of class c (all of them, shuffled,
    /// when the class is smaller), as a tensor on the data's device.</summary>
    public Tensor SampleIndices(int c, int n)
    {
        var all = _indices[c];
        long take = Math.Min(n, all.NumEl);
        using var perm = Tensors.RandPerm(all.NumEl, DType.Int64, all.Device);
        using var first = perm.Narrow(0, 0, take);
        return all.IndexSelect(0, first);
    }

    /// <summary>Up to n random real images of class c (N, C, H, W).</summary>
    public Tensor Sample(int c, int n)
    {
        using var idx = SampleIndices(c, n);
        return Data.Images.IndexSelect(0, idx);
    }

    public void Dispose()
    {
        foreach (var t in _indices) t.Dispose();
    }
}
