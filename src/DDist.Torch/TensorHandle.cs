using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>Owns one native tensor alias. Released deterministically by Tensor.Dispose or a scope;
/// the critical finalizer is only a backstop. Freeing an alias is safe on any thread (libtorch's
/// reference counts are atomic) and never breaks an autograd graph that still uses the storage.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long _live;
    internal static long Live => Interlocked.Read(ref _live);

    internal TensorHandle(nint ptr) : base(0, ownsHandle: true)
    {
        SetHandle(ptr);
        Interlocked.Increment(ref _live);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref _live);
        return Native.dd_free(handle) == 0;
    }
}
