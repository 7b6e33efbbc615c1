using System.Globalization;
using DDist.Artifacts;
using DDist.Evaluation;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The compared rows — Random, Window only, MTT, SelMatch — each evaluated by fresh networks tested on the
/// test set, one task per network of each row (eval/ROW/net-K.json; each network's seed depends only on its index).
/// The whole stage evaluates the same way, network by network into those files (so an interrupted evaluation resumes at
/// the network it was in), and assembles each row (mean ± std) into pipeline.json.</summary>
public sealed class EvaluateStage(Recipe recipe, IReadOnlyList<string> inputs) : IStage<StageContext>
{
    private readonly string[] _rows = RowsOf(recipe);
    private int Nets => recipe.Evaluation.Nets;

    public string Name => RecipeStages.Evaluate;
    public string Description => $"evaluation, one task per network and row ({Nets} × {string.Join(", ", _rows)})";
    public string Outputs => "eval/ROW/net-K.json, the rows in pipeline.json";
    public IReadOnlyList<string> After => inputs;
    public int Tasks => _rows.Length * Nets;
    public string TaskName(int task) => $"network {task % Nets} of row {_rows[task / Nets]}";

    // The file alone (reading the set to check its digest would cost a stage plan more than it is worth); the task
    // itself redoes a network whose file names another set.
    public bool IsTaskDone(RunFolder folder, int task) =>
        folder.Evaluated(folder.State()?.Rows, _rows[task / Nets]) ||
        File.Exists(NetworkResults.FileIn(NetworkResults.RowDir(folder.Path, _rows[task / Nets]), task % Nets));

    public bool IsDone(RunFolder folder) => folder.State() is { } state && _rows.All(k => folder.Evaluated(state.Rows, k));

    public void Run(StageContext context)
    {
        var budget = new EvalBudget(recipe.Evaluation.Epochs, recipe.Evaluation.Nets);
        foreach (var key in _rows.Where(k => !context.Folder.Evaluated(context.State.Rows, k)))
        {
            var (method, set) = Row(context, key);
            var acc = context.Timed(Label(method), () => NetworkResults.EvaluateEach(NetworkResults.RowDir(context.Folder.Path, key), key, Nets,
                set.Digest(), k => context.OnTest(set, budget with { OnlyNetwork = k }, recipe.Seed + 100, context.Cancel)));
            var (make, note) = Made(context, key);
            context.State.Rows[key] = new PipelineState.EvaluatedRow(method, acc.Mean, acc.Std, acc.Accuracies.ToArray(), make.TotalSeconds, note, acc.Diverged,
                                                                     context.Folder.SetMade(key));
            context.SaveState();
            context.Log($"{method}: {acc.Percent()} %");
        }
    }

    public void RunTask(StageContext context, int task)
    {
        var (key, k) = (_rows[task / Nets], task % Nets);
        var (method, set) = Row(context, key);
        var budget = new EvalBudget(recipe.Evaluation.Epochs, recipe.Evaluation.Nets, OnlyNetwork: k);
        context.Worked(Label(method), () => NetworkResults.EvaluateOne(NetworkResults.RowDir(context.Folder.Path, key), key, k, set.Digest(),
                                   () => context.OnTest(set, budget, recipe.Seed + 100, context.Cancel)));
    }

    /// <summary>The stage time a row's evaluation is recorded under.</summary>
    private static string Label(string method) => $"evaluate {method}";

    /// <summary>The rows a recipe compares, in table order.</summary>
    internal static string[] RowsOf(Recipe recipe) => RunReport.RowOrder.Where(recipe.Compare.Contains).ToArray();

    /// <summary>The row's name in the table and its set.</summary>
    internal static (string Method, SmallSet Set) Row(StageContext context, string key) => key switch
    {
        "random" => ("Random", context.RandomSet),
        "window" => ("Window only", context.WindowSet),
        "mtt" => ("MTT", context.DistilledBy("mtt").Set),
        "selmatch" => ("SelMatch", context.DistilledBy("selmatch").Set),
        _ => throw new ArgumentException($"row '{key}': expected one of {string.Join(", ", RunReport.RowOrder)}"),
    };

    /// <summary>What making the row's set cost, and the note beside it in the table.</summary>
    private (TimeSpan Make, string Note) Made(StageContext context, string key)
    {
        var r = recipe;
        var state = context.State;
        return key switch
        {
            "window" => (state.TimeOf(WindowStage.Label), Invariant($"{context.WindowAt} ({r.WindowSection.Offset}; {context.BetaNote})")),
            "mtt" => (state.TimeOf("distill mtt"), Invariant($"{r.Distill.Iterations} it, {Kept(context, "mtt")}")),
            "selmatch" => (state.TimeOf("distill selmatch"),
                           Invariant($"α {r.Alpha}, {context.WindowAt}, {r.Distill.Iterations} it, {Kept(context, "selmatch")}")),
            _ => (TimeSpan.Zero, ""),
        };
    }

    /// <summary>Which iteration's set the row holds: the best one when the recipe evaluates any, else simply the last.</summary>
    private string Kept(StageContext context, string method) => recipe.Distill.EvalIterations.Length == 0
        ? "the final set (no iteration evaluated)"
        : Invariant($"best at {context.DistilledBy(method).BestIteration}");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
