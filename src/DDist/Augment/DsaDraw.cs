using DDist.Torch;

namespace DDist.Augment;

/// <summary>The random parameters of one DSA call, drawn once and applicable to any number of batches: the
/// siamese use of DC/DSA/DM applies the same draw to a real and a synthetic batch. A siamese draw holds one
/// parameter set shared by every sample (so it fits batches of any size); a per-sample draw holds one set per
/// sample of a batch of exactly <see cref="Batch"/> images. Owns its tensors.</summary>
public sealed class DsaDraw : IDisposable
{
    private readonly DsaOp[] _ops;

    internal DsaDraw(IReadOnlyList<DsaFamily> families, DsaOp[] ops, bool siamese, int batch, int height, int width)
    {
        Families = families;
        _ops = ops;
        Siamese = siamese;
        Batch = batch;
        Height = height;
        Width = width;
    }

    /// <summary>The families applied, in order (one in mode 'S', all of the strategy in mode 'M').</summary>
    public IReadOnlyList<DsaFamily> Families { get; }
    public bool Siamese { get; }
    /// <summary>The batch size the draw was made for (any batch size is accepted when siamese).</summary>
    public int Batch { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>The augmented images; x (N, C, H, W) is left untouched and gradients flow back to it.</summary>
    public Tensor Apply(Tensor x)
    {
        var s = x.Shape;
        if (s.Length != 4 || s[2] != Height || s[3] != Width || (!Siamese && s[0] != Batch))
            throw new ArgumentException($"DSA draw made for [{(Siamese ? "N" : Batch.ToString())}, C, {Height}, {Width}] images cannot be applied to [{string.Join(", ", s)}]", nameof(x));
        if (_ops.Length == 0) return x.Alias();
        var h = x;
        foreach (var op in _ops)
        {
            var next = op.Apply(h);
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = next;
        }
        return h;
    }

    public void Dispose()
    {
        foreach (var op in _ops) op.Dispose();
    }
}
