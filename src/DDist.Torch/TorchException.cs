using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>A failure inside libtorch, with libtorch's own message. The native side never throws across the ABI;
/// it returns -1 and keeps the message per thread, which <see cref="Check"/> turns into this exception.</summary>
public sealed class TorchException(string message) : Exception(message)
{
    internal static void Check(int rc)
    {
        if (rc != 0) throw new TorchException(LastError());
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(Native.dd_last_error()) ?? "unknown native error";
}
