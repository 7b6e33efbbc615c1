using DDist.Pipeline.Executors;

namespace DDist.Pipeline;

/// <summary>One local run at a time in a folder: two processes running the same recipe into one folder would both do
/// the work not yet done (a second terminal, a script started twice), each racing the other's checkpoints. Held for
/// the run through an exclusive open of FOLDER/.ddist-run.lock, which the kernel releases when the process ends, however
/// it ends. Scheduler tasks split a run on purpose and do not take it. The file stays: deleting it would let a process
/// that opened it before lock another copy.</summary>
public static class LocalRunLock
{
    public const string FileName = ".ddist-run.lock";

    /// <summary>The lock, or <see cref="RunFolderBusyException"/> when another process holds it.</summary>
    public static IDisposable Take(string dir) => TryTake(dir)
        ?? throw new RunFolderBusyException($"{dir}: another ddist process is running in this folder; wait for it to finish " +
                                            "(it resumes where it stops, so nothing is gained by a second one), or use another --out");

    /// <summary>The lock, waiting (cancellably) while another process holds it: for work that must not run twice at once
    /// but may run after the other (a window shard's inputs, which the first shard makes).</summary>
    public static IDisposable Wait(string dir, Action<string>? log, CancellationToken ct)
    {
        for (bool said = false; ; said = true)
        {
            if (TryTake(dir) is { } held) return held;
            if (!said) log?.Invoke($"{dir}: another ddist process is working in this folder; waiting for it to finish what this one needs first");
            Task.Delay(TimeSpan.FromSeconds(1), ct).Wait(ct);
        }
    }

    private static FileStream? TryTake(string dir)
    {
        Directory.CreateDirectory(dir);
        try { return new FileStream(Path.Combine(dir, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        // Held by another process: .NET reports flock's EWOULDBLOCK (11) on Linux, a sharing violation on Windows. Any
        // other failure (permissions, a full disk) is an error to report, not a reason to wait.
        catch (IOException e) when (e.GetType() == typeof(IOException) && e.HResult is 11 or unchecked((int)0x80070020)) { return null; }
    }
}
