using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The difficulty scores the window is cut by (scores.safetensors): imported from the recipe's score file
/// (C-scores or forgetting scores of the SelMatch authors), or combined from the training runs: forgetting counts or
/// learning speed, as the recipe's scores.kind says — or each of them (scores-KIND.safetensors) when it lists several
/// for the window search to choose among.</summary>
/// <param name="input">The stage before it (the forgetting runs, or the experts); null when it is the first.</param>
public sealed class ScoresStage(Recipe recipe, string? input) : IStage<StageContext>
{
    public string Name => RecipeStages.Scores;
    public string Description => recipe.ScoreSection.File is null
        ? $"{string.Join(" and ", recipe.ScoreKinds.Select(k => k.FileName()))} scores from the training runs" : "imported difficulty scores";
    public string Outputs => recipe.SearchesScoreKinds ? "scores-KIND.safetensors, recorded in pipeline.json" : "scores.safetensors, recorded in pipeline.json";
    public IReadOnlyList<string> After => input is null ? [] : [input];
    public int Tasks => 1;
    public string TaskName(int task) => "scores";

    /// <summary>The score files are written before the stage is recorded, so both together mean finished.</summary>
    public static bool Finished(RunFolder folder, Recipe recipe) =>
        folder.Recorded(Label) && recipe.ScoreKinds.All(kind => File.Exists(folder.ScoresFor(recipe, kind)));

    public const string Label = "scores";

    public bool IsTaskDone(RunFolder folder, int task) => Finished(folder, recipe);
    public bool IsDone(RunFolder folder) => Finished(folder, recipe);

    public void Run(StageContext context) => context.Timed(Label, () =>
    {
        var r = context.Recipe;
        foreach (var kind in r.ScoreKinds)
        {
            var scores = r.ScoreSection.File is null
                ? ForgettingStage.Trainer(context).Run(r.ToForgettingOptions(), context.Progress, context.Cancel, context.Folder.Forgetting, kind)
                : ScoreImport.Load(r.ResolveScoreFile() ?? throw new FileNotFoundException($"recipe '{r.Name}': field 'scores.file' '{r.ScoreSection.File}' " +
                                       $"was not found (absolute, next to the recipe, or in ${Recipe.ScoresEnvironmentVariable})", r.ScoreSection.File),
                                   kind, context.Data.Raw.Name, context.Data.Labels);
            scores.Save(context.Folder.ScoresFor(r, kind));
            context.Keep(kind, scores);
        }
        if (context.ScoreKindAgreement() is { } agreement) context.Log($"score kinds' rankings: {agreement}");
    });

    public void RunTask(StageContext context, int task) => Run(context);
}
