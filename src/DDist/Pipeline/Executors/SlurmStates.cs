namespace DDist.Pipeline.Executors;

/// <summary>Reads the scheduler's task states of a run's jobs in the light of their dependencies (jobs.json).</summary>
public static class SlurmStates
{
    /// <summary>The tasks of <paramref name="jobs"/>' jobs as squeue lists them, with pending tasks whose inputs failed
    /// anywhere up the chain marked <see cref="SlurmTaskState.InputFailed"/>: they can never start.</summary>
    public static IReadOnlyList<SlurmTaskState> Read(SlurmClient client, SlurmJobs jobs)
    {
        var states = client.Query(jobs.AllJobIds().ToList());
        var broken = states.Where(s => s.Failed || s.Stranded).Select(s => s.JobId).ToHashSet();
        var all = jobs.Submissions.SelectMany(s => s.Jobs).ToList();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var job in all.Where(j => !broken.Contains(j.JobId) && j.After.Any(broken.Contains)))
                grew |= broken.Add(job.JobId);
        }
        // Only tasks waiting on their inputs: a pending task of an array that lost another task still runs.
        var inputBroken = all.Where(j => j.After.Any(broken.Contains)).Select(j => j.JobId).ToHashSet();
        return states.Select(s => s.State == "PENDING" && s.Reason == "Dependency" && inputBroken.Contains(s.JobId) ? s with { InputFailed = true } : s).ToList();
    }
}
