using System.Diagnostics;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>Every method's small set at every IPC, one task per set: DC and DSA (Zhao et al. 2021, 2021b), DM
/// (Zhao &amp; Bilen 2023) and MTT (Cazenavette et al. 2022) distil; random, herding, k-center and forgetting select real images (DeepCore's coresets).
/// A set's made.json is written after the set, so both together mean finished.</summary>
public sealed class MakeSetsStage(IReadOnlyList<ComparisonCell> cells, IReadOnlyList<string> after) : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Sets;
    public string Description => "every method's set at every IPC, one task per set";
    public string Outputs => "ipcN/METHOD/synthetic.safetensors or selected.safetensors, and made.json";
    public IReadOnlyList<string> After => after;
    public int Tasks => cells.Count;
    public string TaskName(int task) => cells[task].ToString();

    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(cells[task].SetPath(folder)) && File.Exists(cells[task].MadePath(folder));

    public void RunTask(ComparisonContext context, int task)
    {
        if (IsTaskDone(context.Folder, task)) return;
        var cell = cells[task];
        var clock = Stopwatch.StartNew();
        var set = Make(context, cell);
        Directory.CreateDirectory(cell.Dir(context.Folder));
        if (!cell.Distilled) set.Save(cell.SetPath(context.Folder));
        AtomicFile.WriteAllText(cell.MadePath(context.Folder), JsonSerializer.Serialize(new { method = cell.Method, ipc = cell.Ipc, seconds = clock.Elapsed.TotalSeconds }));
        context.Keep(cell, set, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Makes the set; distillations save their own folder (set, loss curve, summary) as they finish.</summary>
    private static SmallSet Make(ComparisonContext context, ComparisonCell cell)
    {
        var (recipe, train, method, ipc) = (context.Recipe, context.Data.Train, cell.Method, cell.Ipc);
        string Subset() => recipe.TrainPerClass is int n ? $"{n} per class (seed {recipe.Seed})" : "all";
        switch (method)
        {
            case "random":
                return RandomSelection.Select(train, ipc, (ulong)recipe.Seed);
            case "herding" or "herding-argmax" or "kcenter":
            {
                var features = context.TrainFeatures;
                var info = CoresetSelection.Info(train, method, ipc, recipe.Seed, new()
                {
                    ["embedding"] = recipe.ToEmbeddingOptions().ToString(), ["train_subset"] = Subset(),
                });
                return method == "kcenter"
                    ? CoresetSelection.KCenter(train, features, ipc, recipe.Seed, info)
                    : CoresetSelection.Herd(train, features, ipc, method == "herding" ? HerdingRule.Argmin : HerdingRule.Argmax, info);
            }
            case "forgetting":
            {
                var scores = context.Forgetting;
                return CoresetSelection.Forgetting(train, scores, ipc,
                    CoresetSelection.Info(train, method, ipc, recipe.Seed, new() { ["scores"] = scores.Source, ["train_subset"] = Subset() }));
            }
            case "dc" or "dsa":
            {
                using var pool = new ClassImagePool(train);
                var model = method == "dsa" ? recipe.Dsa.Model : recipe.Dc.Model;
                var r = new GradientMatching(context.Net(model), pool).Run(recipe.ToGradientMatchingOptions(method, ipc), context.Progress, context.Cancel,
                    new MatchingCheckpoints(cell.Dir(context.Folder), MatchingCheckpoints.DefaultEvery(method)));
                r.Save(cell.Dir(context.Folder));
                return r.Set;
            }
            case "dm":
            {
                using var pool = new ClassImagePool(train);
                var r = new DistributionMatching(context.Net(recipe.Dm.Model), pool).Run(recipe.ToDistributionMatchingOptions(ipc), context.Progress, context.Cancel,
                    new MatchingCheckpoints(cell.Dir(context.Folder), MatchingCheckpoints.DefaultEvery(method)));
                r.Save(cell.Dir(context.Folder));
                return r.Set;
            }
            case "mtt":
            {
                // MTT's 'real' start: the Random row's images at this IPC (same seed), every one of them distilled.
                var m = recipe.MttSettings;
                using var random = RandomSelection.Select(train, ipc, (ulong)recipe.Seed);
                using var start = SyntheticSet.FromRandom(train, random, ipc);
                return new TrajectoryMatching(context.Net(m.Experts.Model), context.Experts, start, train.Space, Augment.Dsa.ForStudent(m.Dsa, recipe.DsaStrategy(m.Strategy)))
                    .Run(m.ToOptions(recipe.Seed, cell.Dir(context.Folder)), context.Progress, context.Cancel).Set;
            }
            default:
                throw new ArgumentException($"unknown method '{method}'");
        }
    }
}
