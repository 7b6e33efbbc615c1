namespace DDist.Pipeline.Executors;

/// <summary>Where a run stands, read from its shared folder (which tasks' artefacts exist) and, when it was
/// submitted to Slurm, from the scheduler (what its latest job of each unit is doing).</summary>
public sealed record RunProgress(IReadOnlyList<RunProgress.Unit> Units, bool Complete, bool Active)
{
    /// <param name="Scheduler">Task counts by scheduler state of the unit's latest job (empty when unknown).</param>
    public sealed record Unit(string Name, int Tasks, int Done, string? JobId, IReadOnlyDictionary<string, int> Scheduler, bool Failed);

    /// <summary>Nothing queued or running and work left: the run stopped (a task failed or was cancelled) and the
    /// same `ddist run` command submits what is missing.</summary>
    public bool Stopped => !Complete && !Active;

    public static RunProgress Read(StagePlan plan, SlurmJobs? jobs, SlurmClient? client)
    {
        var states = jobs is null || client is null ? [] : SlurmStates.Read(client, jobs);
        var units = plan.Units.Select(u =>
        {
            var job = jobs?.LatestFor(u.Name);
            var mine = states.Where(s => s.JobId == job?.JobId).ToList();
            int done = u.Tasks - u.MissingTasks().Count();
            return new Unit(u.Name, u.Tasks, done, job?.JobId,
                mine.GroupBy(s => s.Stranded ? "STRANDED" : s.State).ToDictionary(g => g.Key, g => g.Count()),
                done < u.Tasks && mine.Any(s => s.Failed || s.Stranded));
        }).ToList();
        return new RunProgress(units, plan.Complete, states.Any(s => s.Active));
    }
}
