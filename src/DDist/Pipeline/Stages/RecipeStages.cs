using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The stages of a SelMatch recipe run, in an order that respects every <see cref="IStage.After"/>: experts
/// (when anything is distilled) → forgetting runs (when the recipe computes forgetting scores) → scores → window search (one task per β) →
/// successive halving rounds (when the recipe asks for them) → the chosen β → one distillation per method (an MTT
/// recipe: experts → MTT, nothing cut by difficulty) →
/// evaluation (one task per network of each compared row) → the same with other architectures (when the recipe lists
/// them) → report. The local runner and the Slurm plan both take
/// this list, so they run the same units.</summary>
public static class RecipeStages
{
    public const string Experts = "experts", Forgetting = "forgetting", Scores = "scores", Window = "window", ChooseBeta = "choose-beta",
                        Evaluate = "evaluate", CrossArchitecture = "cross-architecture", Report = "report";
    public static string Distill(string method) => "distill-" + method;
    public static string Halving(int round) => "halving-" + round;

    /// <summary>The distillations a recipe runs: those it compares, MTT first.</summary>
    public static IReadOnlyList<string> Methods(Recipe recipe) => new[] { "mtt", "selmatch" }.Where(recipe.Compare.Contains).ToArray();

    /// <summary>Whether the plan scores difficulty and searches windows: a compared row is cut by them (Window only,
    /// SelMatch) or SelMatch is distilled.</summary>
    public static bool CutsWindows(Recipe recipe, IReadOnlyList<string> methods) => recipe.CutsWindows || methods.Contains("selmatch");

    /// <param name="methods">The distillations (default <see cref="Methods"/>); `ddist distill --method mtt` on a
    /// recipe that does not compare MTT still distils it, into the same folder (and `--method selmatch` SelMatch, on a
    /// recipe that gives its scores and window sections).</param>
    public static IReadOnlyList<IStage<StageContext>> For(Recipe recipe, IReadOnlyList<string>? methods = null)
    {
        methods ??= Methods(recipe);
        var stages = new List<IStage<StageContext>>();
        // Trajectory matching alone reads the experts: a table of real sets (Random, Window only) trains none.
        if (methods.Count > 0) stages.Add(new ExpertsStage(recipe));
        if (CutsWindows(recipe, methods))
        {
            if (methods.Contains("selmatch")) recipe.RequireWindow("SelMatch");
            else recipe.RequireWindow("the Window-only row", alpha: false);
            if (recipe.ScoreSection.File is null) stages.Add(new ForgettingStage(recipe, afterExperts: methods.Count > 0));
            stages.Add(new ScoresStage(recipe, stages.Count > 0 ? stages[^1].Name : null));
            stages.Add(new WindowStage(recipe));
            if (recipe.WindowSection.HalvingStartEpochs is not null)
            {
                var sizes = SuccessiveHalvingSearch.RoundSizes(HalvingStage.Candidates(recipe).Count);
                for (int round = 1; round <= sizes.Count; round++)
                    stages.Add(new HalvingStage(recipe, round, sizes[round - 1], stages[^1].Name));
            }
            stages.Add(new ChooseBetaStage(recipe, stages[^1].Name));
        }
        stages.AddRange(methods.Select(m => new DistillStage(recipe, m)));
        // The rows' sets: the distilled ones and the window (when no SelMatch distillation already waits for β); the
        // random pick needs nothing.
        var rowInputs = methods.Select(Distill).ToList();
        if (recipe.Compare.Contains("window") && !methods.Contains("selmatch")) rowInputs.Add(ChooseBeta);
        stages.Add(new EvaluateStage(recipe, rowInputs));
        if (recipe.Evaluation.CrossArchitectures is not null) stages.Add(new CrossArchitectureStage(recipe));
        stages.Add(new ReportStage(recipe));
        return stages;
    }
}
