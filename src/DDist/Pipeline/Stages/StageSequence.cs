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
