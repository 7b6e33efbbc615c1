using DDist.Torch;

namespace DDist.Tests;

/// <summary>Live-tensor counts for leak checks, once garbage from earlier tests has been finalized: otherwise a
/// finalizer freeing someone else's leaked tensor in the middle of a test lowers the count and the test fails for a
/// reason that is not its own.</summary>
public static class LiveTensors
{
    /// <summary>Managed tensors alive.</summary>
    public static long Settled()
    {
        CollectGarbage();
        return Tensor.LiveCount;
    }

    /// <summary>Native handles the shim holds (includes those owned by nothing managed).</summary>
    public static long SettledNative()
    {
        CollectGarbage();
        return Tensor.NativeLiveCount;
    }

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
