namespace DDist.Pipeline;

/// <summary>An exclusive lock through an open file: .NET opens with <see cref="FileShare.None"/> by taking flock on
/// Linux, which the kernel releases when the handle is disposed or the process dies, however it dies. The file stays
/// after release: deleting it would let a process that opened it before lock a second copy.</summary>
public static class ExclusiveFileLock
{
    /// <summary>The open lock file, or null when another process holds it. Any other failure (permissions, a full disk,
    /// a missing folder) is an error to report, not a reason to wait.</summary>
    public static FileStream? TryTake(string path)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        // Held elsewhere: .NET reports flock's EWOULDBLOCK (11) on Linux, a sharing violation on Windows.
        catch (IOException e) when (e.GetType() == typeof(IOException) && e.HResult is 11 or unchecked((int)0x80070020)) { return null; }
    }

    /// <summary>The lock, retried every <paramref name="poll"/> while another process holds it; null once
    /// <paramref name="patience"/> has passed (null patience: wait until cancelled).</summary>
    public static FileStream? Wait(string path, TimeSpan poll, TimeSpan? patience, CancellationToken ct = default)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); ; )
        {
            if (TryTake(path) is { } held) return held;
            if (clock.Elapsed >= patience) return null;
            Task.Delay(poll, ct).Wait(ct);
        }
    }
}
