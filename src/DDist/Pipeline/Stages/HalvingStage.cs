using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>Round <c>round</c> of the successive-halving search over the β grid (Jamieson &amp; Talwalkar 2016): the
/// surviving β, each evaluated with the round's budget, one task per β (halving/round-R/beta-B.json); where the recipe
/// lists several score kinds, the surviving (kind, β) pairs (halving/round-R/KIND/beta-B.json). The survivors are read
/// from the earlier rounds' files, so the rounds run as separate stages; the choose-beta stage reads them back into
/// halving.json.</summary>
public sealed class HalvingStage(Recipe recipe, int round, int candidates, string after) : IStage<StageContext>
{
    public string Name => RecipeStages.Halving(round);
    public string Description => $"successive halving round {round}, one task per surviving {(recipe.SearchesScoreKinds ? "score kind and β" : "β")}";
    public string Outputs => recipe.SearchesScoreKinds ? $"halving/round-{round}/KIND/beta-B.json" : $"halving/round-{round}/beta-B.json";
    public IReadOnlyList<string> After => [after];
    public int Tasks => candidates;
    public string TaskName(int task) => $"surviving {(recipe.SearchesScoreKinds ? "candidate" : "β")} {task} of round {round}";

    public bool IsTaskDone(RunFolder folder, int task) =>
        folder.State()?.Halving is not null ||
        SuccessiveHalvingSearch.Alive(Candidates(recipe), folder.Halving, round) is { } alive &&
        File.Exists(SuccessiveHalvingSearch.PointFile(folder.Halving, round, alive[task], recipe.SearchesScoreKinds));

    private string Label => $"successive halving round {round}";

    public void Run(StageContext context) => context.Timed(Label, () =>
    {
        for (int task = 0; task < Tasks; task++)
        {
            if (!IsTaskDone(context.Folder, task)) RunTask(context, task);
            context.Progress?.Report(new ProgressReport($"halving round {round}", task + 1, Tasks));
        }
    });

    public void RunTask(StageContext context, int task) =>
        context.Worked(Label, () => Search(context).RunTask(Options(context), round, task, context.Cancel));

    /// <summary>What the halving chooses among: every listed score kind with every β of the grid.</summary>
    public static IReadOnlyList<HalvingCandidate> Candidates(Recipe recipe) =>
        SuccessiveHalvingSearch.Candidates(recipe.ScoreKinds.Select(k => k.FileName()).ToList(), recipe.WindowSection.Betas);

    internal static SuccessiveHalvingSearch Search(StageContext context) =>
        new(context.Data.Train, context.Recipe.ScoreKinds.Select(k => new RankedScores(context.RankingOf(k), context.ScoresOf(k))).ToList(),
            context.OnChoiceSetForWindow);

    /// <summary>The recipe's halving options with every round's points kept under halving/.</summary>
    internal static SuccessiveHalvingOptions Options(StageContext context) =>
        (context.Recipe.ToHalvingOptions(context.Folder.HalvingSummary, context.Data.Space)
         ?? throw new InvalidOperationException($"recipe '{context.Recipe.Name}': field 'window.halvingStartEpochs' is not set; there is no halving stage"))
        with { PointDir = context.Folder.Halving };
}
