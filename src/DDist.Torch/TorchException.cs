using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>A failure inside libtorch, with libtorch's own message. The native side never throws across the ABI;
/// it returns -1 and keeps the message per thread, which <see cref="Check"/> turns into this exception.</summary>
public sealed class TorchException(string message) : Exception(message)
{
    /// <summary>libtorch could not allocate: CUDA's caching allocator ("CUDA out of memory"), the CPU allocator ("can't
    /// allocate memory" when the system refuses, "not enough memory" in some releases) or the shim's CPU limit ("CPU
    /// out of memory", <see cref="TensorMemory.CpuLimitBytes"/>). Not a bug: the run needs less memory or a larger device.</summary>
    public bool IsOutOfMemory => OutOfMemoryWords.Any(w => Message.Contains(w, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] OutOfMemoryWords = ["out of memory", "not enough memory", "can't allocate memory", "cannot allocate memory"];

    internal static void Check(int rc)
    {
        if (rc != 0) throw new TorchException(LastError());
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(Native.dd_last_error()) ?? "unknown native error";
}
