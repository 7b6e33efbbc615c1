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

    public static IDisposable Take(string dir)
    {
        Directory.CreateDirectory(dir);
        try { return new FileStream(Path.Combine(dir, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            throw new RunFolderBusyException($"{dir}: another ddist process is running in this folder; wait for it to finish " +
                                             "(it resumes where it stops, so nothing is gained by a second one), or use another --out");
        }
    }
}
