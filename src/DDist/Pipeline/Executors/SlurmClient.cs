using System.Diagnostics;

namespace DDist.Pipeline.Executors;

/// <summary>The state of one array task as the scheduler reports it (squeue), e.g. RUNNING, PENDING with reason
/// Dependency, COMPLETED, CANCELLED, FAILED.</summary>
public sealed record SlurmTaskState(string JobId, string TaskId, string State, string Reason)
{
    /// <summary>Pending behind an input that failed further up the chain (Slurm flags only the direct dependents
    /// DependencyNeverSatisfied; the jobs after them keep waiting with reason Dependency).</summary>
    public bool InputFailed { get; init; }

    /// <summary>Queued or running: a second submission into the same folder must wait for it.</summary>
    public bool Active => State is "PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING" or "SUSPENDED" or "REQUEUED"
                              or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESIZING" or "SIGNALING" or "STAGE_OUT" && !Stranded;

    /// <summary>Pending behind a dependency that failed or was cancelled: it will never start (Slurm keeps it queued).</summary>
    public bool Stranded => State == "PENDING" && (Reason == "DependencyNeverSatisfied" || InputFailed);

    public bool Failed => State is "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED";
}

/// <summary>The Slurm commands the executor needs: sbatch, squeue, scancel (from PATH; SLURM_CONF picks the cluster).</summary>
public class SlurmClient
{
    /// <summary>Submits a batch script; returns the job id (`sbatch --parsable`).</summary>
    public virtual string Submit(IReadOnlyList<string> sbatchArguments)
    {
        var output = Run("sbatch", ["--parsable", .. sbatchArguments]).Trim();
        var id = output.Split(';')[0].Trim();
        if (id.Length == 0 || !id.All(char.IsDigit)) throw new SchedulerException($"sbatch: expected a job id, got '{output}'");
        return id;
    }

    /// <summary>The tasks of these jobs the controller still knows (finished ones stay listed for its MinJobAge).</summary>
    public virtual IReadOnlyList<SlurmTaskState> Query(IReadOnlyCollection<string> jobIds)
    {
        if (jobIds.Count == 0) return [];
        var wanted = jobIds.ToHashSet();
        // All jobs rather than -j LIST: squeue fails on ids the controller has already forgotten.
        var text = Run("squeue", ["--noheader", "--array", "--states=all", "--format=%F|%K|%T|%r"]);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Where(f => f.Length == 4 && wanted.Contains(f[0]))
            .Select(f => new SlurmTaskState(f[0], f[1], f[2], f[3]))
            .ToList();
    }

    public virtual void Cancel(IReadOnlyCollection<string> jobIds)
    {
        if (jobIds.Count > 0) Run("scancel", [.. jobIds]);
    }

    private static string Run(string command, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start) ?? throw new SchedulerException($"{command}: could not start"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SchedulerException($"{command}: not found ({e.Message}); --executor slurm needs the Slurm client commands " +
                                                "(sbatch, squeue, scancel) on PATH, e.g. on a cluster's login node");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new SchedulerException($"{command} {string.Join(' ', arguments)}: no answer within 2 minutes");
            }
            if (process.ExitCode != 0)
                throw new SchedulerException($"{command} {string.Join(' ', arguments)}: exit {process.ExitCode}: {stderr.Result.Trim()}");
            return stdout.Result;
        }
    }
}
