using DDist.Evaluation;
using DDist.Recipes;

namespace DDist.Pipeline.Stages;

/// <summary>Every compared row evaluated again with each other architecture the recipe lists
/// (evaluation.crossArchitectures): the same sets, protocol, epochs and network seeds, the model swapped, to see
/// whether a set distilled through one network trains others (MTT, Cazenavette et al. 2022, Table 3). One task per
/// architecture, row and network (eval-arch/KEY/ROW/net-K.json), assembled into CrossArchitectureRows in
/// pipeline.json; the report tables the rows by architecture. KEY is the model, or "MODEL@lrX" when
/// evaluation.crossArchitectureLr fixes the step size (<see cref="EvalSettings.CrossArchitectureKey(string)"/>): changing
/// that field evaluates again under new keys and leaves the results at the other step size where they are.</summary>
public sealed class CrossArchitectureStage(Recipe recipe) : IStage<StageContext>
{
    private readonly string[] _rows = EvaluateStage.RowsOf(recipe);
    private readonly string[] _models = recipe.Evaluation.CrossArchitectures ?? [];
    private int Nets => recipe.Evaluation.Nets;
    private int PerModel => _rows.Length * Nets;

    public string Name => RecipeStages.CrossArchitecture;
    public string Description => $"cross-architecture evaluation, one task per architecture, row and network ({string.Join(", ", _models)})";
    public string Outputs => "eval-arch/KEY/ROW/net-K.json, CrossArchitectureRows in pipeline.json";
    public IReadOnlyList<string> After => [RecipeStages.Evaluate];
    public int Tasks => _models.Length * PerModel;

    public string TaskName(int task)
    {
        var (model, row, net) = At(task);
        return $"network {net} of row {row} on {model}";
    }

    /// <summary>Task t: architecture t div (rows × nets), then row and network as the evaluate stage numbers them.</summary>
    private (string Model, string Row, int Net) At(int task) => (_models[task / PerModel], _rows[task % PerModel / Nets], task % Nets);

    /// <summary>Where the networks of <paramref name="row"/> evaluated under <paramref name="archKey"/> (see
    /// <see cref="EvalSettings.CrossArchitectureKey(string)"/>) are kept.</summary>
    public static string RowDir(RunFolder folder, string archKey, string row) => Path.Combine(folder.Path, "eval-arch", archKey, row);

    private string KeyOf(string model) => recipe.Evaluation.CrossArchitectureKey(model);

    public bool IsTaskDone(RunFolder folder, int task)
    {
        var (model, row, net) = At(task);
        return folder.Evaluated(folder.State()?.CrossArchitectureRows.GetValueOrDefault(KeyOf(model)), row) ||
               File.Exists(NetworkResults.FileIn(RowDir(folder, KeyOf(model), row), net));
    }

    public bool IsDone(RunFolder folder) => folder.State() is { } state &&
        _models.All(m => state.CrossArchitectureRows.TryGetValue(KeyOf(m), out var rows) && _rows.All(k => folder.Evaluated(rows, k)));

    public void Run(StageContext context)
    {
        foreach (var model in _models)
            foreach (var key in _rows.Where(k => !context.Folder.Evaluated(context.State.RowsOf(KeyOf(model)), k)))
            {
                var (method, set) = EvaluateStage.Row(context, key);
                var evaluate = context.OnTestWith(model);
                var acc = context.Timed(Label(model), () => NetworkResults.EvaluateEach(RowDir(context.Folder, KeyOf(model), key), $"{key} on {KeyOf(model)}", Nets,
                    set.Digest(), k => evaluate(set, Budget(k), recipe.Seed + 100, context.Cancel)));
                context.State.RowsOf(KeyOf(model))[key] = new PipelineState.EvaluatedRow(method, acc.Mean, acc.Std, acc.Accuracies.ToArray(), 0, KeyOf(model), acc.Diverged,
                                                                                         context.Folder.SetMade(key));
                context.SaveState();
                context.Log($"{method} on {model}: {acc.Percent()} %");
            }
    }

    public void RunTask(StageContext context, int task)
    {
        var (model, key, k) = At(task);
        var (_, set) = EvaluateStage.Row(context, key);
        context.Worked(Label(model), () => NetworkResults.EvaluateOne(RowDir(context.Folder, KeyOf(model), key), $"{key} on {KeyOf(model)}", k, set.Digest(),
            () => context.OnTestWith(model)(set, Budget(k), recipe.Seed + 100, context.Cancel)));
    }

    /// <summary>Network k of the evaluation's budget: each network trains as it does among all of them.</summary>
    private EvalBudget Budget(int k) => new(recipe.Evaluation.Epochs, recipe.Evaluation.Nets, OnlyNetwork: k);

    /// <summary>The stage time an architecture's evaluation is recorded under.</summary>
    private static string Label(string model) => $"evaluate on {model}";
}
