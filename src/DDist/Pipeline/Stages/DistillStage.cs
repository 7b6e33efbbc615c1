using DDist.Augment;
using DDist.Distillation;
using DDist.Recipes;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Pipeline.Stages;

/// <summary>One trajectory-matching distillation into METHOD/ (synthetic.safetensors, loss.json, distill.json,
/// checkpoints it resumes from): MTT (Cazenavette et al. 2022) starts from the random real images with every image
/// distilled (α = 1); SelMatch (Lee et al. 2024) from the window at the chosen β, distilling the fraction α of each
/// class. The best iteration is chosen on the validation split (or the test set under a reference protocol).</summary>
public sealed class DistillStage : IStage<StageContext>
{
    private readonly Recipe _recipe;
    private readonly string _method;

    public DistillStage(Recipe recipe, string method)
    {
        if (method is not ("mtt" or "selmatch")) throw new ArgumentException($"distillation '{method}': a SelMatch recipe distils mtt or selmatch");
        (_recipe, _method) = (recipe, method);
    }

    public string Label => "distill " + _method;
    public string Name => RecipeStages.Distill(_method);
    public string Description => $"{_method} distillation";
    public string Outputs => $"{_method}/synthetic.safetensors, loss.json, distill.json, recorded in pipeline.json";
    /// <summary>SelMatch starts from the window at the chosen β; MTT from random real images drawn outside the validation
    /// split, which needs the experts alone: a plan runs it beside the scoring runs and the window search (on a cluster,
    /// in parallel), and `ddist distill --method mtt` runs no window search at all.</summary>
    public IReadOnlyList<string> After => _method == "mtt" ? [RecipeStages.Experts] : [RecipeStages.ChooseBeta];
    public int Tasks => 1;
    public string TaskName(int task) => Description;

    /// <summary>The set is written before the stage is recorded; a set without the record is an interrupted run's.</summary>
    public bool IsTaskDone(RunFolder folder, int task) =>
        folder.Recorded(Label) && File.Exists(Path.Combine(folder.Method(_method), "synthetic.safetensors"));

    public bool IsDone(RunFolder folder) => IsTaskDone(folder, 0);

    public void Run(StageContext context) => context.Timed(Label, () =>
    {
        var r = _recipe;
        var train = context.Data.Train;
        using var start = _method == "mtt" ? SyntheticSet.FromRandom(context.Data.Train, context.RandomSet, r.Ipc) : context.Cut(r.Alpha).ToSyntheticSet(train);
        var dsa = Dsa.ForStudent(r.Distill.Dsa, r.DsaStrategy);
        var student = context.Net(r.Experts.Model);
        var result = new TrajectoryMatching(student, ExpertStoreTrajectories.Open(context.Folder.Experts, student, context.Data.Space), start,
                                            context.Data.Space, dsa, context.OnChoiceSet)
            .Run(r.ToTrajectoryMatchingOptions(context.Folder.Method(_method), _method), context.Progress, context.Cancel);
        if (result.SelectionCurve.Count > 0)
            context.Log($"{_method} on the {(result.SelectedOn == SelectOn.Test ? "test set" : "validation split")}: {result.SelectionSummary()}");
        context.Keep(_method, new Distilled(result.Set, result.Curve, result.BestIteration));
    });

    public void RunTask(StageContext context, int task) => Run(context);

}
