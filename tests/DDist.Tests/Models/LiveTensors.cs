using DDist.Torch;

namespace DDist.Tests;

/// <summary>The managed live-tensor count for leak checks, once garbage from earlier tests has been finalized:
/// otherwise a finalizer freeing someone else's leaked tensor in the middle of a test lowers the count and the
/// test fails for a reason that is not its own.</summary>
public static class LiveTensors
{
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.LiveCount;
    }
}
