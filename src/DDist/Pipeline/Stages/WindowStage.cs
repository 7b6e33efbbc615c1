using DDist.Torch.IO;
using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The sliding-window search (SelMatch, Lee et al. 2024): the accuracy of the all-real window at every β of
/// the grid, one task per β (window/beta-B.json), and the grid's summary (window/window.json). `ddist window --shard
/// i/n` runs every n-th β from i instead (<see cref="PipelineOptions.WindowShardCount"/>). A recipe that lists several
/// score kinds searches the grid once per kind (window/KIND/beta-B.json, one task per kind and β), and the summary
/// holds every kind's points, so the kind is chosen with β, on the same split.</summary>
public sealed class WindowStage(Recipe recipe) : IStage<StageContext>
{
    public const string Label = "window search";

    public string Name => RecipeStages.Window;
    public string Description => recipe.SearchesScoreKinds ? "sliding-window search, one task per score kind and β" : "sliding-window search, one task per β";
    public string Outputs => recipe.SearchesScoreKinds
        ? "window/KIND/beta-B.json, window/window.json, recorded in pipeline.json"
        : "window/beta-B.json, window/window.json, recorded in pipeline.json";
    public IReadOnlyList<string> After => [RecipeStages.Scores];
    public int Tasks => recipe.ScoreKinds.Count * recipe.WindowSection.Betas.Length;

    public string TaskName(int task)
    {
        var (kind, beta) = TaskAt(task);
        return recipe.SearchesScoreKinds ? $"{kind.FileName()} β {beta}" : $"β {beta}";
    }

    /// <summary>Task t is β number t mod |grid| of kind number t div |grid|.</summary>
    private (ScoreKind Kind, double Beta) TaskAt(int task) =>
        (recipe.ScoreKinds[task / recipe.WindowSection.Betas.Length], recipe.WindowSection.Betas[task % recipe.WindowSection.Betas.Length]);

    public bool IsTaskDone(RunFolder folder, int task)
    {
        var (kind, beta) = TaskAt(task);
        return File.Exists(WindowSearch.PointFile(folder.WindowFor(recipe, kind), beta));
    }

    /// <summary>Every point, and the summary written after them (recorded as the stage's time).</summary>
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
        context.Log($"window search: {partial.Points.Count} of {Tasks} points done (this is shard {index}/{count}); run the other " +
                    "shards into the same folder, then continue without --shard");
    }

    /// <summary>Task t is one kind's β number t mod |grid|, its shard of a grid split in |grid|.</summary>
    public void RunTask(StageContext context, int task)
    {
        int betas = recipe.WindowSection.Betas.Length;
        context.Worked(Label, () => SearchKind(context, recipe.ScoreKinds[task / betas], task % betas, betas));
    }

    /// <summary>Evaluates the β of shard <paramref name="index"/>/<paramref name="count"/> not evaluated yet, for every
    /// score kind, and returns the grid as far as it is done (the summaries are rewritten from the point files).</summary>
    internal static WindowSearchResult Search(StageContext context, int index, int count)
    {
        var kinds = context.Recipe.ScoreKinds;
        if (kinds.Count == 1) return SearchKind(context, kinds[0], index, count);
        var all = WindowSearchResult.Combine(kinds.Select(kind => SearchKind(context, kind, index, count)).ToList());
        AtomicFile.WriteAllText(WindowSearch.SummaryFile(context.Folder.Window), System.Text.Json.JsonSerializer.Serialize(all, WindowSearch.Json));
        return all;
    }

    private static WindowSearchResult SearchKind(StageContext context, ScoreKind kind, int index, int count) =>
        new WindowSearch(context.Data.Train, context.RankingOf(kind), context.ScoresOf(kind), context.OnChoiceSetForWindow)
            .Run(context.Recipe.ToWindowSearchOptions(context.Folder.WindowFor(context.Recipe, kind), context.Data.Space) with
                {
                    ShardIndex = index, ShardCount = count,
                    ProgressStage = context.Recipe.SearchesScoreKinds ? $"window ({kind.FileName()})" : "window",
                }, context.Progress, context.Cancel);
}
