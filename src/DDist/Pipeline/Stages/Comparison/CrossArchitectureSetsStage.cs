using System.Text.Json;
using DDist.Evaluation;
using DDist.Recipes;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>Every set evaluated again with each other architecture the recipe lists (evaluation.crossArchitectures):
/// the same protocol, epochs and network seeds, the network swapped (at evaluation.crossArchitectureLr where it fixes a
/// step size), as the DC and DM papers table how sets made through a ConvNet train other networks. One task per
/// architecture and set (ipcN/METHOD/eval-arch/KEY/eval.json); each network is kept as it finishes, so an interrupted
/// evaluation resumes at the network it was in.</summary>
public sealed class CrossArchitectureSetsStage(IReadOnlyList<ComparisonCell> cells, ComparisonRecipe recipe) : IStage<ComparisonContext>
{
    private readonly string[] models = recipe.Evaluation.CrossArchitectures ?? [];

    public string Name => ComparisonStages.CrossArchitecture;
    public string Description => $"every set's evaluation with each other architecture ({string.Join(", ", models)}), one task per architecture and set";
    public string Outputs => "ipcN/METHOD/eval-arch/KEY/eval.json";
    public IReadOnlyList<string> After => [ComparisonStages.Evaluate];
    public int Tasks => models.Length * cells.Count;
    public string TaskName(int task) => $"{At(task).Cell} on {At(task).Model}";

    /// <summary>Task t: architecture t div sets, then the set as the evaluate stage numbers them.</summary>
    private (string Model, ComparisonCell Cell) At(int task) => (models[task / cells.Count], cells[task % cells.Count]);

    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(At(task).Cell.ArchEvalPath(folder, recipe.Evaluation.CrossArchitectureKey(At(task).Model)));

    public void RunTask(ComparisonContext context, int task)
    {
        var (model, cell) = At(task);
        var key = recipe.Evaluation.CrossArchitectureKey(model);
        var path = cell.ArchEvalPath(context.Folder, key);
        if (File.Exists(path)) return;
        var r = EvaluateSetsStage.Evaluate(context, cell, recipe.ToEvalProtocol(cell.Ipc, model), cell.ArchDir(context.Folder, key), path, $"{cell} on {key}");
        context.Log($"{cell} on {EvalSettings.CrossArchitectureLabel(model, recipe.Evaluation.CrossArchitectureLr?.For(model))}: {r.Percent()} %");
    }

    /// <summary>A cell's evaluation with the architecture kept under <paramref name="key"/>; null when not made yet.</summary>
    public static SavedEvaluation? Load(RunFolder folder, ComparisonCell cell, string key)
    {
        var path = cell.ArchEvalPath(folder, key);
        if (!File.Exists(path)) return null;
        return JsonSerializer.Deserialize<SavedEvaluation>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty evaluation file");
    }
}
