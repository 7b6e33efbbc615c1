using DDist.Pipeline.Executors;

namespace DDist.Pipeline;

/// <summary>One local run at a time in a folder: two processes running the same recipe into one folder would both do
/// the work not yet done (a second terminal, a script started twice), each racing the other's checkpoints. Held for
/// the run through FOLDER/.ddist-run.lock (<see cref="ExclusiveFileLock"/>). Scheduler tasks split a run on purpose
/// and do not take it.</summary>
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
        if (TryTake(dir) is { } held) return held;
        log?.Invoke($"{dir}: another ddist process is working in this folder; waiting for it to finish what this one needs first");
        return ExclusiveFileLock.Wait(LockPath(dir), TimeSpan.FromSeconds(1), patience: null, ct)!;
    }

    private static FileStream? TryTake(string dir) => ExclusiveFileLock.TryTake(LockPath(dir));

    private static string LockPath(string dir)
    {
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, FileName);
    }
}
