using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The sliding-window search (SelMatch, Lee et al. 2024): the accuracy of the all-real window at every β of
/// the grid, one task per β (window/beta-B.json), and the grid's summary (window/window.json). `ddist window --shard
/// i/n` runs every n-th β from i instead (<see cref="PipelineOptions.WindowShardCount"/>).</summary>
public sealed class WindowStage(Recipe recipe) : IStage<StageContext>
{
    public const string Label = "window search";

    public string Name => RecipeStages.Window;
    public string Description => "sliding-window search, one task per β";
    public string Outputs => "window/beta-B.json, window/window.json, recorded in pipeline.json";
    public IReadOnlyList<string> After => [RecipeStages.Scores];
    public int Tasks => recipe.Window.Betas.Length;
    public string TaskName(int task) => $"β {recipe.Window.Betas[task]}";

    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(WindowSearch.PointFile(folder.Window, recipe.Window.Betas[task]));

    /// <summary>Every β's point, and the summary written after them (recorded as the stage's time).</summary>
    public bool IsDone(RunFolder folder) => Enumerable.Range(0, Tasks).All(i => IsTaskDone(folder, i)) && folder.Recorded(Label);

    public void Run(StageContext context)
    {
        var (index, count) = (context.Options.WindowShardIndex, context.Options.WindowShardCount);
        if (count == 1)
        {
            context.Window = context.Timed(Label, () => Search(context, 0, 1));
            return;
        }
        // A shard stops at its own β points, so shards finishing together never both go on to the later stages.
        var partial = context.Worked(Label, () => Search(context, index, count));
        context.Log($"window search: {partial.Points.Count} of {Tasks} β points done (this is shard {index}/{count}); run the other " +
                    "shards into the same folder, then continue without --shard");
    }

    /// <summary>With one task per β, task i's shard is β number i alone.</summary>
    public void RunTask(StageContext context, int task) => context.Worked(Label, () => Search(context, task, Tasks));

    /// <summary>Evaluates the β of shard <paramref name="index"/>/<paramref name="count"/> not evaluated yet and returns the grid
    /// as far as it is done (the summary is rewritten from the point files).</summary>
    internal static WindowSearchResult Search(StageContext context, int index, int count) =>
        new WindowSearch(context.Data.Train, context.Ranking, context.Scores, context.OnChoiceSetForWindow)
            .Run(context.Recipe.ToWindowSearchOptions(context.Folder.Window, context.Data.Normalization.Name) with
                { ShardIndex = index, ShardCount = count }, context.Progress, context.Cancel);
}
