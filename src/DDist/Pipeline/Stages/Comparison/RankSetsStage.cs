using System.Globalization;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>Every cell's DD-Ranking scores (Li et al. 2025): its evaluation (eval.json) as the set's own accuracies,
/// the set trained again without augmentation (and with hard labels when it has soft ones), against the random sets of
/// its IPC; one task per cell, ranking/ipcN/cells/METHOD.json. Each network is kept as it finishes.</summary>
public sealed class RankSetsStage(IReadOnlyList<ComparisonCell> cells) : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Ranking;
    public string Description => "every set's DD-Ranking scores, one task per set";
    public string Outputs => "ranking/ipcN/cells/METHOD.json";
    public IReadOnlyList<string> After => [ComparisonStages.Evaluate, ComparisonStages.RankingBaselines];
    public int Tasks => cells.Count;
    public string TaskName(int task) => cells[task].ToString();

    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(ComparisonRanking.ResultPath(folder, cells[task]));

    public void RunTask(ComparisonContext context, int task)
    {
        if (IsTaskDone(context.Folder, task)) return;
        var r = context.Ranking.Rank(cells[task]);
        var (lrs, ars) = (SavedRanking.Summary(r.LabelRobust), r.AugmentationRobust is null ? null : SavedRanking.Summary(r.AugmentationRobust));
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"{cells[task]}: LRS {lrs.Mean:F2} ± {lrs.Std:F2}{(ars is null ? "" : $", ARS {ars.Mean:F2} ± {ars.Std:F2}")}, " +
            $"{100 * SavedRanking.Summary(r.ImprovementOverRandom).Mean:+0.00;-0.00} points over random"));
    }
}
