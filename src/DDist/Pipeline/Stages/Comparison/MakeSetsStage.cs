using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        AtomicFile.WriteAllText(cell.MadePath(context.Folder), JsonSerializer.Serialize(new
        {
            method = cell.Method, ipc = cell.Ipc, seconds = clock.Elapsed.TotalSeconds, source = cell.Imported ? context.Recipe.SetFile(cell.Method, cell.Ipc) : null,
        }, MadeJson));
        context.Keep(cell, set, clock.Elapsed.TotalSeconds);
    }

    private static readonly JsonSerializerOptions MadeJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The file an imported cell was copied from (made.json's 'source'), or null when it holds none.</summary>
    public static string? ImportedFrom(string madePath)
    {
        if (!File.Exists(madePath)) return null;
        try { return JsonNode.Parse(File.ReadAllText(madePath))?["source"]?.GetValue<string>(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{madePath}: field 'source' is not a file name ({e.Message})", e); }
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
                var m = recipe.MttSettings.For(ipc);
                using var random = RandomSelection.Select(train, ipc, (ulong)recipe.Seed);
                using var start = SyntheticSet.FromRandom(train, random, ipc);
                return new TrajectoryMatching(context.Net(m.Experts.Model), context.Experts, start, train.Space, Augment.Dsa.ForStudent(m.Dsa, recipe.DsaStrategy(m.Strategy)))
                    .Run(m.ToOptions(recipe.Seed, cell.Dir(context.Folder)), context.Progress, context.Cancel).Set;
            }
            default:
                return cell.Imported ? Imported(context, cell) : throw new ArgumentException($"unknown method '{method}'");
        }
    }

    /// <summary>A row made elsewhere: the recipe's file for this IPC, checked against the comparison (dataset, pixel space,
    /// shape, classes, IPC) before it is copied in and evaluated like every other set.</summary>
    private static SmallSet Imported(ComparisonContext context, ComparisonCell cell)
    {
        var (recipe, train) = (context.Recipe, context.Data.Train);
        var path = recipe.SetFile(cell.Method, cell.Ipc);
        InputFile.Require(path, $"small-set file (sets.{cell.Method}, IPC {cell.Ipc})");
        var set = SmallSet.Load(path);
        try
        {
            string? Wrong() =>
                set.Info.Dataset != recipe.Dataset ? $"is a set of '{set.Info.Dataset}', the comparison's dataset is '{recipe.Dataset}'"
                : set.Zca is null && set.Info.Normalization != train.Space ? $"is in normalisation '{set.Info.Normalization}', the comparison's data in '{train.Space}'"
                : set.Info.Ipc != cell.Ipc ? $"holds {set.Info.Ipc} images per class, but 'sets.{cell.Method}' gives it for IPC {cell.Ipc}"
                : null;
            if (Wrong() is { } wrong) throw new InvalidDataException($"{path}: the set {wrong}");
            set.CheckFits(path, context.Data.Test);   // a whitened set's test images are whitened with its own transform (ComparisonContext.TestFor)
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }
}
