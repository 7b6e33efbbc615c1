using System.Text.Json;
using DDist.Evaluation;
using DDist.Torch.IO;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>Every set evaluated by the same protocol (the recipe's evaluation), tested on the test set, one task per
/// set (ipcN/METHOD/eval.json). Each network is kept as it finishes (ipcN/METHOD/eval/net-K.json), so an interrupted
/// evaluation resumes at the network it was in. No method looks at the test set while it makes its set.</summary>
public sealed class EvaluateSetsStage(IReadOnlyList<ComparisonCell> cells) : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Evaluate;
    public string Description => "every set's evaluation, one task per set";
    public string Outputs => "ipcN/METHOD/eval.json";
    public IReadOnlyList<string> After => [ComparisonStages.Sets];
    public int Tasks => cells.Count;
    public string TaskName(int task) => cells[task].ToString();

    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(cells[task].EvalPath(folder));

    public void RunTask(ComparisonContext context, int task)
    {
        if (IsTaskDone(context.Folder, task)) return;
        var cell = cells[task];
        Evaluate(context, cell, context.Recipe.ToEvalProtocol(cell.Ipc), Path.Combine(cell.Dir(context.Folder), "eval"), cell.EvalPath(context.Folder), cell.ToString());
    }

    /// <summary>Trains <paramref name="protocol"/>'s networks on the cell's set, each kept in <paramref name="networks"/> as
    /// it finishes, and writes the result to <paramref name="path"/> (this stage's and the cross-architecture stage's).</summary>
    internal static EvalResult Evaluate(ComparisonContext context, ComparisonCell cell, EvalProtocol protocol, string networks, string path, string name)
    {
        var r = NetworkResults.EvaluateSet(networks, name, context.Made(cell).Set, context.TestFor(cell), protocol, (ulong)context.Recipe.Seed,
                                           context.Progress, context.Cancel);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(
            new SavedEvaluation(r.Mean, r.Std, r.Accuracies.ToArray(), r.Elapsed.TotalSeconds, protocol.Name, protocol.Epochs, protocol.Networks, r.Diverged)));
        return r;
    }

    /// <summary>A cell's evaluation as eval.json keeps it.</summary>
    public static SavedEvaluation Load(RunFolder folder, ComparisonCell cell)
    {
        var path = cell.EvalPath(folder);
        return JsonSerializer.Deserialize<SavedEvaluation>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty evaluation file");
    }
}
