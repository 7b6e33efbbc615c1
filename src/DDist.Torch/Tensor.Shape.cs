namespace DDist.Torch;

// Views, shape changes, joining, splitting and indexing.
public sealed unsafe partial class Tensor
{
    private delegate int ShapeOp(nint a, long* s, long n, out nint r);

    private Tensor WithLongs(ShapeOp op, long[] values)
    {
        Tensor r;
        fixed (long* s = values) r = Wrap(op(Ptr, s, values.Length, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor Reshape(params long[] shape) => WithLongs(Native.dd_reshape, shape);
    public Tensor View(params long[] shape) => WithLongs(Native.dd_view, shape);
    public Tensor Permute(params long[] dims) => WithLongs(Native.dd_permute, dims);
    public Tensor Expand(params long[] shape) => WithLongs(Native.dd_expand, shape);
    public Tensor Repeat(params long[] repeats) => WithLongs(Native.dd_repeat, repeats);
    public Tensor Flip(params long[] dims) => WithLongs(Native.dd_flip, dims);

    public Tensor Transpose(long d0, long d1) { var r = Wrap(Native.dd_transpose(Ptr, d0, d1, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor T() => Transpose(0, 1);
    public Tensor Narrow(long dim, long start, long length) { var r = Wrap(Native.dd_narrow(Ptr, dim, start, length, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Slice(long dim, long start, long end, long step = 1) { var r = Wrap(Native.dd_slice(Ptr, dim, start, end, step, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Select(long dim, long index) { var r = Wrap(Native.dd_select(Ptr, dim, index, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Squeeze(long dim) { var r = Wrap(Native.dd_squeeze(Ptr, dim, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Unsqueeze(long dim) { var r = Wrap(Native.dd_unsqueeze(Ptr, dim, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Flatten(long start = 0, long end = -1) { var r = Wrap(Native.dd_flatten(Ptr, start, end, out var p), p); GC.KeepAlive(this); return r; }

    public Tensor Roll(long[] shifts, long[] dims)
    {
        if (shifts.Length != dims.Length) throw new ArgumentException("shifts and dims must have the same length");
        Tensor r;
        fixed (long* s = shifts) fixed (long* d = dims) r = Wrap(Native.dd_roll(Ptr, s, d, dims.Length, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor IndexSelect(long dim, Tensor index)
    {
        var r = Wrap(Native.dd_index_select(Ptr, dim, index.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(index);
        return r;
    }

    public Tensor Gather(long dim, Tensor index)
    {
        var r = Wrap(Native.dd_gather(Ptr, dim, index.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(index);
        return r;
    }

    public Tensor Scatter(long dim, Tensor index, Tensor src)
    {
        var r = Wrap(Native.dd_scatter(Ptr, dim, index.Ptr, src.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(index); GC.KeepAlive(src);
        return r;
    }

    public Tensor ScatterAdd(long dim, Tensor index, Tensor src)
    {
        var r = Wrap(Native.dd_scatter_add(Ptr, dim, index.Ptr, src.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(index); GC.KeepAlive(src);
        return r;
    }

    /// <summary>Splits along dim into pieces of the given sizes (they must add up to the dim's size).</summary>
    public Tensor[] Split(long[] sizes, long dim = 0)
    {
        var outs = new nint[sizes.Length];
        fixed (long* s = sizes) fixed (nint* o = outs) TorchException.Check(Native.dd_split_sizes(Ptr, s, sizes.Length, dim, o));
        GC.KeepAlive(this);
        return outs.Select(p => new Tensor(p)).ToArray();
    }

    /// <summary>Splits along dim into chunks of splitSize (the last may be smaller), as torch.split.</summary>
    public Tensor[] Split(long splitSize, long dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentOutOfRangeException(nameof(splitSize), "split size must be positive");
        long n = Size((int)dim);
        var sizes = new List<long>();
        for (long s = 0; s < n; s += splitSize) sizes.Add(Math.Min(splitSize, n - s));
        return Split(sizes.ToArray(), dim);
    }

    /// <summary>Constant padding; pad lists (left, right) pairs starting from the last dimension, as F.pad.</summary>
    public Tensor Pad(long[] pad, double value = 0)
    {
        Tensor r;
        fixed (long* p = pad) r = Wrap(Native.dd_constant_pad(Ptr, p, pad.Length, value, out var h), h);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor OneHot(long classes) { var r = Wrap(Native.dd_one_hot(Ptr, classes, out var p), p); GC.KeepAlive(this); return r; }

    public Tensor MatMul(Tensor o)
    {
        var r = Wrap(Native.dd_matmul(Ptr, o.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(o);
        return r;
    }
}
