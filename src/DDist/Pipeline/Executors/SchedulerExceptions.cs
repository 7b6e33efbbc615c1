namespace DDist.Pipeline.Executors;

/// <summary>The scheduler's client commands (sbatch, squeue, scancel) are missing, fail or do not answer: the
/// cluster, not the user's input nor DDist, is at fault (sysexits EX_UNAVAILABLE).</summary>
public sealed class SchedulerException(string message) : Exception(message);

/// <summary>A run folder is busy: jobs of an earlier submission are still queued or running, or another submission
/// is being made into it right now. Trying again later, or cancelling those jobs, is the remedy (sysexits EX_TEMPFAIL).</summary>
public sealed class RunFolderBusyException(string message) : Exception(message);
