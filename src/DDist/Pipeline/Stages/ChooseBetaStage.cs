using System.Globalization;
using DDist.Evaluation;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The β the small sets are cut at — the window search's best (chosen on the validation split, or on the test
/// set under a reference protocol) unless the recipe fixes it — kept as ChosenBeta in pipeline.json (and, where the
/// recipe lists several score kinds, the kind of the best point as ChosenScoreKind: at the fixed β when there is one), with the
/// successive-halving summary when the recipe runs one, and the two real-image sets every later stage reads:
/// random.safetensors (MTT's start, the Random row) and window.safetensors (the Window-only row). The random pick is
/// also trained as the window's points were (RandomOnChoice), the reference the grid is read against.</summary>
public sealed class ChooseBetaStage(Recipe recipe, string after) : IStage<StageContext>
{
    public string Name => RecipeStages.ChooseBeta;
    public string Description => "the chosen β (and the halving summary), the random pick's reference accuracy";
    public string Outputs => "ChosenBeta, RandomOnChoice (and Halving) in pipeline.json, halving.json, random.safetensors, window.safetensors, window/window.png";
    public IReadOnlyList<string> After => [after];
    public int Tasks => 1;
    public string TaskName(int task) => "β";

    public bool IsTaskDone(RunFolder folder, int task) => folder.State()?.ChosenBeta is not null;
    public bool IsDone(RunFolder folder) => IsTaskDone(folder, 0);

    public void Run(StageContext context)
    {
        var state = context.State;
        var window = context.Window;
        if (recipe.WindowSection.HalvingStartEpochs is not null && state.Halving is null)
        {
            // The halving stages have evaluated every round by now: this reads their points back (no progress to show).
            state.Halving = HalvingStage.Search(context).Run(HalvingStage.Options(context), window, progress: null, context.Cancel);
            context.Log(state.Halving.Summary());
        }
        // Before ChosenBeta, which marks the stage done: an interrupted reference is made again on resume, not lost.
        state.RandomOnChoice ??= context.Worked(RandomReferenceLabel, () => RandomReference(context));
        var best = window.Best(recipe.Distill.Beta) ?? window.Best();
        // The kind before the β, which marks the stage done.
        if (recipe.SearchesScoreKinds)
            state.ChosenScoreKind = best?.ScoreKind
                ?? throw new InvalidOperationException($"{context.Folder.Window}: the window search finished without a best score kind");
        state.ChosenBeta = recipe.Distill.Beta ?? best?.Beta
                           ?? throw new InvalidOperationException($"{context.Folder.Window}: the window search finished without a best β");
        _ = context.RandomSet;   // written now: every later stage reads them
        _ = context.WindowSet;
        context.SaveState();
        context.Log($"window at {context.WindowAt} ({context.BetaNote})");
        CompareWithRandom(context, window, state.RandomOnChoice);
        // `ddist window` stops here, long before the report draws it: the grid's picture now, beside its points.
        if (window.Points.Count > 0)
            WindowPlot.Save(PlotFile(context.Folder), window.Points, window.EvaluatedOn, context.Beta, state.RandomOnChoice, state.ChosenScoreKind);
    }

    /// <summary>The accuracy-against-β plot of the grid (window/window.png), with the chosen β and the random reference.</summary>
    public static string PlotFile(RunFolder folder) => Path.Combine(folder.Window, "window.png");

    public const string RandomReferenceLabel = "random pick on the choice split";

    /// <summary>The random pick trained with the window search's split, budget and seed (the networks start as each
    /// β's did), so the comparison with the grid is paired.</summary>
    private static EvalResult RandomReference(StageContext context)
    {
        var options = context.Recipe.ToWindowSearchOptions(context.Folder.Window, context.Data.Space);
        return context.OnChoiceSetForWindow(context.RandomSet, options.Budget, options.Seed, context.Cancel);
    }

    /// <summary>Says, before anything is distilled, where the window stands against a random pick: where no window
    /// beats it, starting SelMatch from a window is unlikely to help at this IPC (the test-set Random row will tell).</summary>
    private static void CompareWithRandom(StageContext context, WindowSearchResult window, EvalResult random)
    {
        if (window.Points.Count == 0) return;
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"a random pick of the same size: {100 * random.Mean:F2} ± {100 * random.Std:F2} % on the {context.Split.ChosenOn}; ") +
            WindowAgainstRandom.Verdict(window.Best()!, random, nameKind: context.Recipe.SearchesScoreKinds));
    }

    public void RunTask(StageContext context, int task) => Run(context);
}
