using DDist.Evaluation;
using DDist.Pipeline.Stages;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>One cell of the comparison: a method's set at one IPC, its test accuracy, coverage and cost.</summary>
public sealed record ComparisonRow(string Method, int Ipc, EvalResult Accuracy, double? Coverage, double MakeSeconds,
                                   double EvalSeconds, PublishedResult? Published, string SetPath)
{
    /// <summary>The same set's accuracy with each other architecture the recipe lists, in its order, labelled as
    /// <see cref="ComparisonResult.Architectures"/> (null: not evaluated yet).</summary>
    public IReadOnlyList<EvalResult?> Across { get; init; } = [];
    /// <summary>The file a row of the recipe's 'sets' was copied from (made elsewhere); null for a set made here.</summary>
    public string? ImportedFrom { get; init; }
    /// <summary>The set's DD-Ranking scores when the recipe ranks its cells (null: not ranked, or not yet).</summary>
    public SavedRanking? Ranking { get; init; }
}

/// <summary>What a comparison produced: rows in recipe order (IPC-major), the shared costs and where the outputs are.</summary>
public sealed record ComparisonResult(string Dataset, IReadOnlyList<ComparisonRow> Rows, IReadOnlyDictionary<string, double> SharedSeconds,
                                      string Evaluation, string JsonPath, string MarkdownPath, string PlotPath)
{
    /// <summary>The evaluation's own model, then the other architectures each row's <see cref="ComparisonRow.Across"/>
    /// holds ("AlexNet (lr 0.01)" where the step size is fixed); only the own model when the recipe lists none.</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];
}

/// <summary>Runs a comparison recipe as the units of <see cref="ComparisonStages"/>: every method at every IPC makes a
/// small set (DC, DSA, DM distil; random, herding, k-center and forgetting select), each set is evaluated by the same
/// protocol on the test set, and the table (JSON + markdown, with published numbers and their sources) and an
/// accuracy-vs-IPC plot are written. Finished sets and evaluations are files in the output folder and are reused
/// when the run is repeated; <see cref="RunTask"/> runs one piece, as a Slurm array task does.</summary>
/// <param name="device">Where the data lives and every network trains (default the CPU).</param>
public sealed class ComparisonRunner(ComparisonRecipe recipe, string outDir, IProgress<ProgressReport>? progress = null, Action<string>? log = null,
                                    Device? device = null)
{
    public const string JsonFile = "comparison.json", MarkdownFile = "comparison.md", PlotFile = "comparison.png";

    /// <summary>The comparison's units in dependency order.</summary>
    public IReadOnlyList<IStage<ComparisonContext>> Stages { get; } = ComparisonStages.For(recipe);

    /// <summary>Makes (or reuses) and evaluates every set, then writes the table and the plot (rebuilt from the saved
    /// sets and evaluations even when an earlier or split run wrote it, so the caller can print it).</summary>
    public ComparisonResult Run(CancellationToken ct = default)
    {
        using var context = Open(ct);
        using var alone = LocalRunLock.Take(outDir);
        var table = StageSequence.Find(Stages, ComparisonStages.Table);
        StageSequence.RunMissing(Stages.Where(s => s != table), context.Folder, context, log);
        table.Run(context);
        return context.Result ?? throw new InvalidOperationException($"{outDir}: the table stage wrote no result");
    }

    /// <summary>Task <paramref name="task"/> of unit <paramref name="unit"/> alone (one Slurm array task), after whatever
    /// of its inputs is still missing (<see cref="StageSequence.RunTask"/>).</summary>
    public void RunTask(string unit, int task, CancellationToken ct = default) =>
        StageSequence.RunTask(Stages, unit, task, new RunFolder(outDir), () => Open(ct), log);

    /// <summary>Makes (or reuses) one method's sets at every IPC without evaluating them (`ddist distill RECIPE
    /// --method dc|dsa|dm`, `ddist select` from a recipe): that method's tasks of the sets unit. Returns the set files.</summary>
    public IReadOnlyList<string> Make(string method, CancellationToken ct = default)
    {
        if (!recipe.Methods.Contains(method))
            throw new ArgumentException($"recipe '{recipe.Name}': field 'methods' does not list '{method}' (it lists {string.Join(", ", recipe.Methods)})");
        using var context = Open(ct);
        using var alone = LocalRunLock.Take(outDir);
        var sets = StageSequence.Find(Stages, ComparisonStages.Sets);
        var cells = ComparisonCell.Of(recipe);
        for (int task = 0; task < cells.Count; task++)
            if (cells[task].Method == method) sets.RunTask(context, task);
        return cells.Where(c => c.Method == method).Select(c => c.SetPath(context.Folder)).ToList();
    }

    /// <summary>Checks the folder belongs to this recipe, records the recipe, and opens what the stages share.</summary>
    private ComparisonContext Open(CancellationToken ct)
    {
        Claim(recipe, outDir);
        return new ComparisonContext(recipe, new RunFolder(outDir), progress, log, device ?? Device.Cpu, ct);
    }

    /// <summary>Makes <paramref name="dir"/> this recipe's folder (recipe.json, the recipe last run there); refuses one that
    /// holds another recipe. IPCs and methods may differ: they pick cells, each made and evaluated on its own seeds, so a
    /// folder fills cell by cell (a few IPCs or methods first with `--ipc`, `--methods`, the rest later). So may the
    /// section of a distillation (dc, dsa, dm, mtt) while nothing of it is in the folder (no set of it begun at any IPC;
    /// for MTT no experts either): a method can join a finished table, or be tuned before its first cell is made. The
    /// ranking section likewise, until something of it is kept (ranking/): scores can be asked of a finished table.</summary>
    public static void Claim(ComparisonRecipe recipe, string dir)
    {
        string[] free = ["ipcs", "methods", "description", "source", "evaluation.crossArchitectures", "evaluation.crossArchitectureLr"];
        var begun = Directory.Exists(dir)
            ? Directory.EnumerateDirectories(dir, "ipc*").SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).ToHashSet()
            : [];
        if (Directory.Exists(Path.Combine(dir, "experts"))) begun.Add("mtt");
        if (Directory.Exists(Path.Combine(dir, ComparisonRanking.Dir))) begun.Add("ranking");
        CheckImportedSources(recipe, dir);
        FolderRecipe.Claim(dir, recipe.ToJson(), [.. free, "sets", .. new[] { "dc", "dsa", "dm", "mtt", "ranking" }.Where(m => !begun.Contains(m))]);
    }

    /// <summary>The recipe's 'sets' may grow (a row or an IPC joins the table), but a cell already copied in stays the one
    /// its file named: a recipe naming another file for it is refused, not silently tabled with the old copy.</summary>
    private static void CheckImportedSources(ComparisonRecipe recipe, string dir)
    {
        foreach (var cell in ComparisonCell.Of(recipe).Where(c => c.Imported))
        {
            var made = Path.Combine(dir, $"ipc{cell.Ipc}", cell.Method, "made.json");
            if (MakeSetsStage.ImportedFrom(made) is { } source && source != recipe.SetFile(cell.Method, cell.Ipc))
                throw new InvalidDataException($"{made}: {cell} was copied from {source}, but 'sets.{cell.Method}' now names {recipe.SetFile(cell.Method, cell.Ipc)}; " +
                                               $"remove {Path.GetDirectoryName(made)} to import the new file");
        }
    }
}
