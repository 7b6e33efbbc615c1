using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>libtorch's per-op profiler on the calling thread: every op run between Start and Dispose is
/// written as a Chrome trace (chrome://tracing, or bench/profile/trace_summary.py for a table).</summary>
public sealed class OpProfiler : IDisposable
{
    private bool _open;

    private OpProfiler() => _open = true;

    public static OpProfiler Start(string tracePath)
    {
        Check(Native.dd_profiler_start(tracePath));
        return new OpProfiler();
    }

    public void Dispose()
    {
        if (!_open) return;
        _open = false;
        Check(Native.dd_profiler_stop());
    }
}
