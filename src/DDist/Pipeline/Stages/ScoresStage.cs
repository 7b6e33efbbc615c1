using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The difficulty scores the window is cut by (scores.safetensors): imported from the recipe's score file
/// (C-scores or forgetting scores of the SelMatch authors), or combined from the training runs: forgetting counts or
/// learning speed, as the recipe's scores.kind says.</summary>
public sealed class ScoresStage(Recipe recipe, string input) : IStage<StageContext>
{
    public string Name => RecipeStages.Scores;
    public string Description => recipe.Scores.File is null ? $"{recipe.ScoreKind.FileName()} scores from the training runs" : "imported difficulty scores";
    public string Outputs => "scores.safetensors, recorded in pipeline.json";
    public IReadOnlyList<string> After => [input];
    public int Tasks => 1;
    public string TaskName(int task) => "scores";

    /// <summary>scores.safetensors is written before the stage is recorded, so both together mean finished.</summary>
    public static bool Finished(RunFolder folder) => folder.Recorded(Label) && File.Exists(folder.Scores);

    public const string Label = "scores";

    public bool IsTaskDone(RunFolder folder, int task) => Finished(folder);
    public bool IsDone(RunFolder folder) => Finished(folder);

    public void Run(StageContext context) => context.Timed(Label, () =>
    {
        var r = context.Recipe;
        var scores = r.Scores.File is null
            ? ForgettingStage.Trainer(context).Run(r.ToForgettingOptions(), context.Progress, context.Cancel, context.Folder.Forgetting, r.ScoreKind)
            : ScoreImport.Load(r.ResolveScoreFile() ?? throw new FileNotFoundException($"recipe '{r.Name}': field 'scores.file' '{r.Scores.File}' " +
                                   $"was not found (absolute, next to the recipe, or in ${Recipe.ScoresEnvironmentVariable})", r.Scores.File),
                               r.ScoreKind, context.Data.Raw.Name, context.Data.Labels);
        scores.Save(context.Folder.Scores);
        context.Scores = scores;
    });

    public void RunTask(StageContext context, int task) => Run(context);
}
