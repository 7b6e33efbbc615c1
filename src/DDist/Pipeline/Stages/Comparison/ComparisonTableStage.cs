using DDist.Data;
using DDist.Evaluation;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>The comparison's answer: each cell's accuracy beside the published number and its source, SelMatch's
/// r-coverage of the test set (Lee et al. 2024) when the recipe asks for it, and the costs — comparison.json,
/// comparison.md, comparison.png, built from the saved sets and evaluations. Done when comparison.json is newer than
/// every evaluation (what a split run's status reads); `ddist compare` rebuilds it on every run to print it.</summary>
public sealed class ComparisonTableStage(IReadOnlyList<ComparisonCell> cells, IReadOnlyList<string> after, Recipes.ComparisonRecipe recipe) : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Table;
    public string Description => "the table, coverage and plot";
    public string Outputs => $"{ComparisonRunner.JsonFile}, {ComparisonRunner.MarkdownFile}, {ComparisonRunner.PlotFile}";
    public IReadOnlyList<string> After => after;
    public int Tasks => 1;
    public string TaskName(int task) => "table";

    public bool IsTaskDone(RunFolder folder, int task)
    {
        var table = folder.Combine(ComparisonRunner.JsonFile);
        if (!File.Exists(table)) return false;
        var written = File.GetLastWriteTimeUtc(table);
        return cells.All(c => Evaluations(folder, c).All(path => File.Exists(path) && File.GetLastWriteTimeUtc(path) <= written));
    }

    /// <summary>Every evaluation file the table reads for <paramref name="cell"/>: its own, then one per other
    /// architecture, then its DD-Ranking scores when the recipe ranks.</summary>
    private IEnumerable<string> Evaluations(RunFolder folder, ComparisonCell cell) =>
        [cell.EvalPath(folder), .. Others.Select(m => cell.ArchEvalPath(folder, recipe.Evaluation.CrossArchitectureKey(m))),
         .. recipe.Ranking is null ? Array.Empty<string>() : [ComparisonRanking.ResultPath(folder, cell)]];

    private string[] Others => recipe.Evaluation.CrossArchitectures ?? [];

    public void RunTask(ComparisonContext context, int task) => Run(context);

    public void Run(ComparisonContext context)
    {
        var folder = context.Folder;
        var rows = new List<ComparisonRow>();
        double? radius = null;
        Tensor? testFeatures = null;
        try
        {
            foreach (var cell in cells)
            {
                var (set, makeSeconds) = context.Made(cell);
                var saved = EvaluateSetsStage.Load(folder, cell);
                var acc = EvalResult.From(saved.Accuracies, diverged: saved.Diverged);
                double? coverage = null;
                if (recipe.Coverage.ReferencePerClass > 0 && set.Zca is null)   // the embedding network reads the dataset's normalisation, not ZCA space
                {
                    radius ??= context.Timed(ComparisonContext.CoverageStep, () => Coverage.Radius(ReferenceFeatures(context)));
                    testFeatures ??= context.Embedding.Embed(context.Data.Test.Images);
                    using var f = context.Embedding.Embed(set.Images.To(context.Data.Train.Images.Device));
                    coverage = Coverage.Of(f, testFeatures, radius.Value);
                }
                var across = Others.Select(m => CrossArchitectureSetsStage.Load(folder, cell, recipe.Evaluation.CrossArchitectureKey(m)) is { } s
                                                    ? EvalResult.From(s.Accuracies, diverged: s.Diverged) with { Elapsed = TimeSpan.FromSeconds(s.Seconds) } : null).ToList();
                rows.Add(new ComparisonRow(cell.Method, cell.Ipc, acc, coverage, makeSeconds, saved.Seconds,
                                           PublishedResults.Find(recipe.Dataset, cell.Method, cell.Ipc), Path.GetRelativePath(folder.Path, cell.SetPath(folder)))
                         {
                             Across = across, ImportedFrom = cell.Imported ? recipe.SetFile(cell.Method, cell.Ipc) : null,
                             Ranking = recipe.Ranking is null ? null : ComparisonRanking.Load(folder, cell),
                         });
                context.Log($"{cell.Method} IPC {cell.Ipc}: {acc.Percent()} %");
            }
        }
        finally { testFeatures?.Dispose(); }
        if (recipe.Ranking is not null) context.SharedSeconds[ComparisonContext.RankingStep] = ComparisonRanking.SharedSeconds(folder);
        var protocol = recipe.ToEvalProtocol(recipe.Ipcs[0]);
        string evaluation = $"{protocol.Name} protocol: {protocol.Model}, epochs {string.Join(" / ", recipe.Ipcs.Select(i => $"{recipe.EvalEpochs(i)}+1 (IPC {i})"))}, " +
                            $"{protocol.Networks} networks, aug {Training.Augmentation.Name(protocol.Augmentation)}" +
                            (recipe.TestPerClass is int tp ? $", {tp} test images per class" : ", full test set");
        var result = new ComparisonResult(recipe.Dataset, rows, context.SharedCosts(), evaluation, folder.Combine(ComparisonRunner.JsonFile),
                                          folder.Combine(ComparisonRunner.MarkdownFile), folder.Combine(ComparisonRunner.PlotFile))
        {
            Architectures = [protocol.Model, .. Others.Select(m => Recipes.EvalSettings.CrossArchitectureLabel(m, recipe.Evaluation.CrossArchitectureLr?.For(m)))],
        };
        ComparisonReport.Write(recipe, result);
        context.Result = result;
    }

    /// <summary>The embedded training images coverage measures distances against, a class-balanced draw.</summary>
    private static Tensor ReferenceFeatures(ComparisonContext context)
    {
        var train = context.Data.Train;
        using var labels = train.Labels.To(DType.Int64, Device.Cpu);
        var y = labels.ToArray<long>().Select(v => (int)v).ToArray();
        int perClass = Math.Min(context.Recipe.Coverage.ReferencePerClass, train.IndicesByClass().Min(c => c.Length));
        var rows = SubsetSampler.ClassBalanced(y, train.NumClasses, perClass, context.Recipe.Seed + 2);
        using var idx = Tensors.FromArray(rows);
        return context.TrainFeatures.IndexSelect(0, idx);
    }
}
