namespace DDist.Pipeline.Stages;

/// <summary>Stages in dependency order (every stage after those it reads): which ones a target needs, and running
/// those not done yet.</summary>
public static class StageSequence
{
    /// <summary>The stages <paramref name="targets"/> need, themselves included, in the list's order.</summary>
    public static IReadOnlyList<T> Needed<T>(IReadOnlyList<T> stages, IEnumerable<string> targets) where T : IStage
    {
        var wanted = new HashSet<string>();
        void Add(string name)
        {
            if (!wanted.Add(name)) return;
            foreach (var input in Find(stages, name).After) Add(input);
        }
        foreach (var t in targets) Add(t);
        return stages.Where(s => wanted.Contains(s.Name)).ToList();
    }

    public static T Find<T>(IReadOnlyList<T> stages, string name) where T : IStage => stages.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"stage unit '{name}': expected one of {string.Join(", ", stages.Select(s => s.Name))}");

    /// <summary>Task <paramref name="task"/> of unit <paramref name="unit"/> alone (one Slurm array task), in the context
    /// <paramref name="open"/> makes. Its inputs' tasks are finished (the scheduler starts it after them); what combines
    /// them (the window summary, the assembled rows) is made first when missing, as the local run makes it.</summary>
    public static void RunTask<TContext>(IReadOnlyList<IStage<TContext>> stages, string unit, int task, RunFolder folder, Func<TContext> open,
                                         Action<string>? log) where TContext : IDisposable
    {
        var stage = Find(stages, unit);
        if (task < 0 || task >= stage.Tasks)
            throw new ArgumentOutOfRangeException(nameof(task), task, $"stage unit '{unit}' has tasks 0..{stage.Tasks - 1}");
        using var context = open();
        RunMissing(Needed(stages, stage.After), folder, context, log);
        stage.RunTask(context, task);
    }

    /// <summary>Runs, in order, each stage whose outputs are not in the folder yet; the others are reused.</summary>
    public static void RunMissing<TContext>(IEnumerable<IStage<TContext>> stages, RunFolder folder, TContext context, Action<string>? log)
    {
        foreach (var stage in stages)
        {
            if (stage.IsDone(folder)) log?.Invoke($"{stage.Name}: done earlier, reusing it");
            else stage.Run(context);
        }
    }
}
