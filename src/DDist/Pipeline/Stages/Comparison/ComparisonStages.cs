using DDist.Recipes;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>The stages of a comparison run: forgetting scores (when a method selects by them) → every method's set at
/// every IPC (one task per set) → their evaluations (one task per set) → the table.</summary>
public static class ComparisonStages
{
    public const string Forgetting = "forgetting", Sets = "sets", Evaluate = "evaluate", Table = "table";

    public static IReadOnlyList<IStage<ComparisonContext>> For(ComparisonRecipe recipe)
    {
        var cells = ComparisonCell.Of(recipe);
        var stages = new List<IStage<ComparisonContext>>();
        if (recipe.Methods.Contains("forgetting")) stages.Add(new ForgettingScoresStage());
        stages.Add(new MakeSetsStage(cells, stages.Select(s => s.Name).ToArray()));
        stages.Add(new EvaluateSetsStage(cells));
        stages.Add(new ComparisonTableStage(cells));
        return stages;
    }
}
