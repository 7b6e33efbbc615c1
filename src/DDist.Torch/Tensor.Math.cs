using static DDist.Torch.TorchException;

namespace DDist.Torch;

// Elementwise maths, comparisons and in-place updates. Op codes match native/include/ddist.h.
public sealed partial class Tensor
{
    private enum U { Neg, Abs, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Square, Sign, Floor, Ceil, Round, Reciprocal, Log1p, IsNan, IsInf, LogicalNot, IsFinite }
    private enum B { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, Remainder, Atan2 }

    private Tensor Unary(U op)
    {
        var r = Wrap(Native.dd_unary((int)op, Ptr, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    private Tensor Binary(B op, Tensor other)
    {
        var r = Wrap(Native.dd_binary((int)op, Ptr, other.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(other);
        return r;
    }

    private Tensor Binary(B op, double other)
    {
        var r = Wrap(Native.dd_binary_scalar((int)op, Ptr, other, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor Neg() => Unary(U.Neg);
    public Tensor Abs() => Unary(U.Abs);
    public Tensor Exp() => Unary(U.Exp);
    public Tensor Log() => Unary(U.Log);
    public Tensor Sqrt() => Unary(U.Sqrt);
    public Tensor Rsqrt() => Unary(U.Rsqrt);
    public Tensor Sin() => Unary(U.Sin);
    public Tensor Cos() => Unary(U.Cos);
    public Tensor Tanh() => Unary(U.Tanh);
    public Tensor Sigmoid() => Unary(U.Sigmoid);
    public Tensor Relu() => Unary(U.Relu);
    public Tensor Square() => Unary(U.Square);
    public Tensor Sign() => Unary(U.Sign);
    public Tensor Floor() => Unary(U.Floor);
    public Tensor Ceil() => Unary(U.Ceil);
    public Tensor Round() => Unary(U.Round);
    public Tensor Reciprocal() => Unary(U.Reciprocal);
    public Tensor Log1p() => Unary(U.Log1p);
    public Tensor IsNan() => Unary(U.IsNan);
    public Tensor IsInf() => Unary(U.IsInf);
    public Tensor IsFinite() => Unary(U.IsFinite);

    /// <summary>Whether every element is finite (no NaN or ±inf): a no-grad reduction whose temporaries are freed here.</summary>
    public bool AllFinite() => CountFinite() == NumEl;

    /// <summary>Whether any element is finite (false when all are NaN or ±inf).</summary>
    public bool AnyFinite() => CountFinite() > 0;

    private long CountFinite()
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        return IsFinite().Sum().ItemLong();
    }
    public Tensor LogicalNot() => Unary(U.LogicalNot);

    public Tensor Add(Tensor o) => Binary(B.Add, o);
    public Tensor Add(double o) => Binary(B.Add, o);
    /// <summary>this + alpha·other.</summary>
    public Tensor Add(Tensor o, double alpha)
    {
        var r = Wrap(Native.dd_add_scaled(Ptr, o.Ptr, alpha, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(o);
        return r;
    }
    public Tensor Sub(Tensor o) => Binary(B.Sub, o);
    public Tensor Sub(double o) => Binary(B.Sub, o);
    public Tensor Mul(Tensor o) => Binary(B.Mul, o);
    public Tensor Mul(double o) => Binary(B.Mul, o);
    public Tensor Div(Tensor o) => Binary(B.Div, o);
    public Tensor Div(double o) => Binary(B.Div, o);
    public Tensor Pow(Tensor o) => Binary(B.Pow, o);
    public Tensor Pow(double o) => Binary(B.Pow, o);
    public Tensor Remainder(double o) => Binary(B.Remainder, o);
    public Tensor Maximum(Tensor o) => Binary(B.Maximum, o);
    public Tensor Minimum(Tensor o) => Binary(B.Minimum, o);
    public Tensor Atan2(Tensor o) => Binary(B.Atan2, o);
    public Tensor Eq(Tensor o) => Binary(B.Eq, o);
    public Tensor Eq(double o) => Binary(B.Eq, o);
    public Tensor Ne(Tensor o) => Binary(B.Ne, o);
    public Tensor Ne(double o) => Binary(B.Ne, o);
    public Tensor Lt(Tensor o) => Binary(B.Lt, o);
    public Tensor Lt(double o) => Binary(B.Lt, o);
    public Tensor Le(Tensor o) => Binary(B.Le, o);
    public Tensor Le(double o) => Binary(B.Le, o);
    public Tensor Gt(Tensor o) => Binary(B.Gt, o);
    public Tensor Gt(double o) => Binary(B.Gt, o);
    public Tensor Ge(Tensor o) => Binary(B.Ge, o);
    public Tensor Ge(double o) => Binary(B.Ge, o);
    public Tensor LogicalAnd(Tensor o) => Binary(B.LogicalAnd, o);
    public Tensor LogicalOr(Tensor o) => Binary(B.LogicalOr, o);

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b)
    {
        var r = Wrap(Native.dd_rsub_scalar(b.Ptr, a, out var p), p);
        GC.KeepAlive(b);
        return r;
    }
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator /(double a, Tensor b) { using var rec = b.Reciprocal(); return rec.Mul(a); }

    public Tensor Clamp(double? min = null, double? max = null)
    {
        var r = Wrap(Native.dd_clamp(Ptr, min.HasValue ? (byte)1 : (byte)0, min ?? 0, max.HasValue ? (byte)1 : (byte)0, max ?? 0, out var p), p);
        GC.KeepAlive(this);
        return r;
    }

    public Tensor LeakyRelu(double slope = 0.01) { var r = Wrap(Native.dd_leaky_relu(Ptr, slope, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Softmax(long dim) { var r = Wrap(Native.dd_softmax(Ptr, dim, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor LogSoftmax(long dim) { var r = Wrap(Native.dd_log_softmax(Ptr, dim, out var p), p); GC.KeepAlive(this); return r; }

    public Tensor MaskedFill(Tensor mask, double value)
    {
        var r = Wrap(Native.dd_masked_fill(Ptr, mask.Ptr, value, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(mask);
        return r;
    }

    public Tensor MaskedSelect(Tensor mask)
    {
        var r = Wrap(Native.dd_masked_select(Ptr, mask.Ptr, out var p), p);
        GC.KeepAlive(this); GC.KeepAlive(mask);
        return r;
    }

    public Tensor Where(Tensor condition, Tensor other) => Tensors.Where(condition, this, other);

    // ---- in place: for optimisers and buffers, under Tensors.NoGrad(). They return nothing new. ----
    /// <summary>this += alpha·other, in place.</summary>
    public void AddInPlace(Tensor other, double alpha = 1) { Check(Native.dd_add_(Ptr, other.Ptr, alpha)); GC.KeepAlive(this); GC.KeepAlive(other); }
    public void MulInPlace(double s) { Check(Native.dd_mul_scalar_(Ptr, s)); GC.KeepAlive(this); }
    public void CopyFrom(Tensor src) { Check(Native.dd_copy_(Ptr, src.Ptr)); GC.KeepAlive(this); GC.KeepAlive(src); }
    public void Fill(double value) { Check(Native.dd_fill_(Ptr, value)); GC.KeepAlive(this); }
    public void UniformInPlace(double from, double to) { Check(Native.dd_uniform_(Ptr, from, to)); GC.KeepAlive(this); }
    public void IndexCopyInPlace(long dim, Tensor index, Tensor src)
    {
        Check(Native.dd_index_copy_(Ptr, dim, index.Ptr, src.Ptr));
        GC.KeepAlive(this); GC.KeepAlive(index); GC.KeepAlive(src);
    }

    // ---- conversion ----
    public Tensor To(DType dtype) => To(dtype, Device);
    public Tensor To(Device device) => To(DType, device);
    public Tensor To(DType dtype, Device device)
    {
        var r = Wrap(Native.dd_to(Ptr, (int)dtype, (int)device.Type, device.Index, out var p), p);
        GC.KeepAlive(this);
        return r;
    }
    public Tensor Clone() { var r = Wrap(Native.dd_clone(Ptr, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Detach() { var r = Wrap(Native.dd_detach(Ptr, out var p), p); GC.KeepAlive(this); return r; }
    public Tensor Contiguous() { var r = Wrap(Native.dd_contiguous(Ptr, out var p), p); GC.KeepAlive(this); return r; }
    /// <summary>A second handle to the same tensor (same storage, same autograd node).</summary>
    public Tensor Alias() { var r = Wrap(Native.dd_alias(Ptr, out var p), p); GC.KeepAlive(this); return r; }
}
