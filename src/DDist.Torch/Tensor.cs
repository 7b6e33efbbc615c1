using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>A libtorch tensor. Every operation returns a new Tensor (a fresh native alias), even in-place
/// ones; dispose it, or let the enclosing <see cref="TensorScope"/> do it.</summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    internal TensorScope? Owner;

    internal Tensor(nint ptr)
    {
        if (ptr == 0) throw new ArgumentException("null tensor handle");
        _handle = new TensorHandle(ptr);
        Owner = TensorScope.Current;
        Owner?.Add(this);
    }

    /// <summary>Wraps a handle that may be null (an undefined tensor, e.g. an unused input's gradient).</summary>
    internal static Tensor? WrapNullable(nint ptr) => ptr == 0 ? null : new Tensor(ptr);

    /// <summary>The native pointer; throws if disposed. Callers keep `this` alive across the native call.</summary>
    internal nint Ptr
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "tensor used after Dispose");
            return _handle.DangerousGetHandle();
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Managed tensors currently alive (created and not yet disposed or finalized).</summary>
    public static long LiveCount => TensorHandle.Live;
    /// <summary>Native aliases currently allocated by the shim (includes those owned by nothing managed).</summary>
    public static long NativeLiveCount => Native.dd_live_tensors();

    public void Dispose()
    {
        _handle.Dispose();
        Owner = null;
    }

    /// <summary>Keeps this tensor alive past the current scope: it moves to the enclosing scope (or to none).</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Owner?.Outer;
        Owner = outer;
        outer?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of every scope; the caller now owns it.</summary>
    public Tensor DetachFromScope()
    {
        Owner = null;
        return this;
    }

    // ---- metadata ----
    public long Dim { get { Check(Native.dd_dim(Ptr, out var d)); GC.KeepAlive(this); return d; } }

    public unsafe long[] Shape
    {
        get
        {
            var n = Dim;
            var s = new long[n];
            fixed (long* p = s) Check(Native.dd_shape(Ptr, p, n));
            GC.KeepAlive(this);
            return s;
        }
    }

    public long Size(int dim) { var s = Shape; return s[dim < 0 ? dim + s.Length : dim]; }
    public long NumEl { get { Check(Native.dd_numel(Ptr, out var n)); GC.KeepAlive(this); return n; } }

    public DType DType
    {
        get
        {
            Check(Native.dd_dtype(Ptr, out var d));
            GC.KeepAlive(this);
            if (d < 0) throw new NotSupportedException("tensor has a dtype DDist does not expose");
            return (DType)d;
        }
    }

    public Device Device
    {
        get { Check(Native.dd_device(Ptr, out var t, out var i)); GC.KeepAlive(this); return new Device((DeviceType)t, (int)i); }
    }

    public bool RequiresGrad
    {
        get { Check(Native.dd_requires_grad(Ptr, out var r)); GC.KeepAlive(this); return r != 0; }
        set { Check(Native.dd_set_requires_grad(Ptr, value ? (byte)1 : (byte)0)); GC.KeepAlive(this); }
    }

    public Tensor RequiresGrad_(bool value = true) { RequiresGrad = value; return this; }

    /// <summary>The accumulated gradient (.grad), or null. A new alias each time.</summary>
    public Tensor? Grad
    {
        get { Check(Native.dd_grad_of(Ptr, out var g)); GC.KeepAlive(this); return WrapNullable(g); }
        set { Check(Native.dd_set_grad(Ptr, value?.Ptr ?? 0)); GC.KeepAlive(this); GC.KeepAlive(value); }
    }

    public bool HasGradFn { get { Check(Native.dd_has_grad_fn(Ptr, out var r)); GC.KeepAlive(this); return r != 0; } }

    public double Item() { Check(Native.dd_item_double(Ptr, out var v)); GC.KeepAlive(this); return v; }
    public long ItemLong() { Check(Native.dd_item_int64(Ptr, out var v)); GC.KeepAlive(this); return v; }

    // ---- data out ----
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>();
        var result = new T[NumEl];
        fixed (T* p = result) Check(Native.dd_to_data(Ptr, p, (long)result.Length * sizeof(T)));
        GC.KeepAlive(this);
        return result;
    }

    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>();
        fixed (T* p = destination) Check(Native.dd_to_data(Ptr, p, (long)destination.Length * sizeof(T)));
        GC.KeepAlive(this);
    }

    /// <summary>Raw element bytes in row-major order (copied to the CPU).</summary>
    public unsafe byte[] ToBytes()
    {
        var result = new byte[NumEl * DType.ElementSize()];
        fixed (byte* p = result) Check(Native.dd_to_data(Ptr, p, result.Length));
        GC.KeepAlive(this);
        return result;
    }

    internal void CheckElementType<T>() where T : unmanaged
    {
        var want = Tensors.DTypeOf<T>();
        if (DType != want) throw new InvalidOperationException($"tensor dtype is {DType}, requested elements of {want}");
    }

    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        return $"Tensor([{string.Join(", ", Shape)}], {DType}, {Device})";
    }

    // ---- helpers for the op partials ----
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(int rc, nint r)
    {
        Check(rc);
        return new Tensor(r);
    }
}
