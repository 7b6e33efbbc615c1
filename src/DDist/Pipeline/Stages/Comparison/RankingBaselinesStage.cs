using DDist.Recipes;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>What every cell's DD-Ranking scores share (<see cref="ComparisonRanking"/>): one task per IPC trains the
/// random sets of that size (with and without augmentation, and their step-size searches), and, when the recipe does
/// not give the full training set's accuracy, a last task trains the whole-data network. Kept under ranking/, so the
/// cells' tasks that follow only read them.</summary>
public sealed class RankingBaselinesStage(IReadOnlyList<ComparisonCell> cells, ComparisonRecipe recipe) : IStage<ComparisonContext>
{
    private readonly int[] ipcs = cells.Select(c => c.Ipc).Distinct().ToArray();
    private bool TrainsFull => recipe.Ranking!.FullAccuracy is null;

    public string Name => ComparisonStages.RankingBaselines;
    public string Description => "DD-Ranking's random sets, one task per IPC" + (TrainsFull ? ", and the whole-data network" : "");
    public string Outputs => "ranking/ipcN/baselines.json, ranking/shared/" + (TrainsFull ? ", ranking/full.json" : "");
    // The sets first: which random sets an IPC needs (hard or a teacher's labels, which space) is read from them.
    public IReadOnlyList<string> After => [ComparisonStages.Sets];
    public int Tasks => ipcs.Length + (TrainsFull ? 1 : 0);
    public string TaskName(int task) => task < ipcs.Length ? $"random sets at IPC {ipcs[task]}" : "whole-data network";

    public bool IsTaskDone(RunFolder folder, int task) =>
        File.Exists(task < ipcs.Length ? ComparisonRanking.BaselinesPath(folder, ipcs[task]) : ComparisonRanking.FullPath(folder));

    public void RunTask(ComparisonContext context, int task)
    {
        if (IsTaskDone(context.Folder, task)) return;
        if (task < ipcs.Length) context.Ranking.TrainBaselines(ipcs[task], cells);
        else context.Ranking.FullAccuracy();
    }
}
