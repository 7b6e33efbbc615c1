using DDist.Recipes;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>The stages of a comparison run: forgetting scores (when a method selects by them), the embedding network
/// (when herding, k-center or coverage read its features) and MTT's experts (when MTT is listed) → every method's set at every IPC (one task per set) →
/// their evaluations (one task per set) → their evaluations with other architectures, when the recipe lists any (one
/// task per architecture and set) → DD-Ranking's random sets and each set's scores, when the recipe has a ranking
/// section (one task per IPC, then one per set) → the table.</summary>
public static class ComparisonStages
{
    public const string Forgetting = "forgetting", Embedding = "embedding", Experts = "experts", Sets = "sets", Evaluate = "evaluate",
                        CrossArchitecture = "cross-architecture", RankingBaselines = "ranking-random", Ranking = "ranking", Table = "table";

    public static IReadOnlyList<IStage<ComparisonContext>> For(ComparisonRecipe recipe)
    {
        var cells = ComparisonCell.Of(recipe);
        var shared = new List<IStage<ComparisonContext>>();
        if (recipe.Methods.Contains("forgetting")) shared.Add(new ForgettingScoresStage());
        if (NeedsEmbedding(recipe)) shared.Add(new EmbeddingStage());
        if (recipe.Methods.Contains("mtt")) shared.Add(new ComparisonExpertsStage(recipe.MttSettings.Experts.Count));
        var setsAfter = shared.Where(s => s is not EmbeddingStage || recipe.Methods.Any(SelectsByEmbedding)).Select(s => s.Name).ToArray();
        IStage<ComparisonContext>[] across = recipe.Evaluation.CrossArchitectures is null ? [] : [new CrossArchitectureSetsStage(cells, recipe)];
        IStage<ComparisonContext>[] ranking = recipe.Ranking is null ? [] : [new RankingBaselinesStage(cells, recipe), new RankSetsStage(cells)];
        // The table reads the embedding for coverage even when no method selects by it.
        string[] tableAfter = [Evaluate, .. across.Select(s => s.Name), .. ranking.OfType<RankSetsStage>().Select(s => s.Name),
                               .. shared.OfType<EmbeddingStage>().Select(s => s.Name)];
        return [.. shared, new MakeSetsStage(cells, setsAfter), new EvaluateSetsStage(cells), .. across, .. ranking, new ComparisonTableStage(cells, tableAfter, recipe)];
    }

    /// <summary>True when a method selects by the embedding's features or the table measures coverage with them.</summary>
    public static bool NeedsEmbedding(ComparisonRecipe recipe) => recipe.Methods.Any(SelectsByEmbedding) || recipe.Coverage.ReferencePerClass > 0;

    private static bool SelectsByEmbedding(string method) => method is "herding" or "herding-argmax" or "kcenter";
}
