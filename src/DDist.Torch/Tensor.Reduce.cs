namespace DDist.Torch;

// Reductions. With no dims they reduce over every element.
public sealed partial class Tensor
{
    private enum R { Sum, Mean, AMax, AMin, LogSumExp, Prod }

    private unsafe Tensor Reduce(R op, long[] dims, bool keepDim)
    {
        Tensor r;
        fixed (long* d = dims) r = Wrap(Native.dd_reduce((int)op, Ptr, d, dims.Length, keepDim ? (byte)1 : (byte)0, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor Sum() => Reduce(R.Sum, [], false);
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(R.Sum, dims, keepDim);
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(R.Sum, [dim], keepDim);
    public Tensor Mean() => Reduce(R.Mean, [], false);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(R.Mean, dims, keepDim);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(R.Mean, [dim], keepDim);
    public Tensor Prod() => Reduce(R.Prod, [], false);
    public Tensor Max() => Reduce(R.AMax, [], false);
    public Tensor Min() => Reduce(R.AMin, [], false);
    public Tensor AMax(long[] dims, bool keepDim = false) => Reduce(R.AMax, dims, keepDim);
    public Tensor AMin(long[] dims, bool keepDim = false) => Reduce(R.AMin, dims, keepDim);
    public Tensor LogSumExp(long[] dims, bool keepDim = false) => Reduce(R.LogSumExp, dims, keepDim);
    public Tensor LogSumExp(long dim, bool keepDim = false) => Reduce(R.LogSumExp, [dim], keepDim);

    /// <summary>Variance; correction 1 is the unbiased estimate, 0 the biased one.</summary>
    public unsafe Tensor Var(long[]? dims = null, long correction = 1, bool keepDim = false) => VarStd(dims ?? [], correction, keepDim, false);
    public unsafe Tensor Std(long[]? dims = null, long correction = 1, bool keepDim = false) => VarStd(dims ?? [], correction, keepDim, true);

    private unsafe Tensor VarStd(long[] dims, long correction, bool keepDim, bool sqrt)
    {
        Tensor r;
        fixed (long* d = dims)
            r = Wrap(Native.dd_var(Ptr, d, dims.Length, correction, keepDim ? (byte)1 : (byte)0, sqrt ? (byte)1 : (byte)0, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        dims ??= [];
        Tensor r;
        fixed (long* d = dims) r = Wrap(Native.dd_norm(Ptr, p, d, dims.Length, keepDim ? (byte)1 : (byte)0, out var h), h);
        GC.KeepAlive(this);
        return r;
    }

    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => MaxMin(dim, keepDim, false);
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => MaxMin(dim, keepDim, true);

    private (Tensor, Tensor) MaxMin(long dim, bool keepDim, bool min)
    {
        TorchException.Check(Native.dd_max_dim(Ptr, dim, keepDim ? (byte)1 : (byte)0, min ? (byte)1 : (byte)0, out var v, out var i));
        GC.KeepAlive(this);
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor ArgMax(long dim, bool keepDim = false)
    {
        var r = Wrap(Native.dd_argmax(Ptr, dim, keepDim ? (byte)1 : (byte)0, out var p), p);
        GC.KeepAlive(this);
        return r;
    }
}
