using System.Diagnostics;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>One cell of the comparison: a method's set at one IPC, its test accuracy, coverage and cost.</summary>
public sealed record ComparisonRow(string Method, int Ipc, AccuracyEstimate Accuracy, double? Coverage, double MakeSeconds,
                                   double EvalSeconds, PublishedResult? Published, string SetPath);

/// <summary>What a comparison produced: rows in recipe order (IPC-major), the shared costs and where the outputs are.</summary>
public sealed record ComparisonResult(string Dataset, IReadOnlyList<ComparisonRow> Rows, IReadOnlyDictionary<string, double> SharedSeconds,
                                      string Evaluation, string JsonPath, string MarkdownPath, string PlotPath);

/// <summary>Runs a comparison recipe: every method at every IPC makes a small set (DC, DSA, DM distil; random,
/// herding, k-center and forgetting select), each set is evaluated by the same protocol on the test set, and the
/// table (JSON + markdown, with published numbers and their sources) and an accuracy-vs-IPC plot are written.
/// Finished sets and evaluations are files in the output folder and are reused when the run is repeated.</summary>
/// <param name="device">Where the data lives and every network trains (default the CPU).</param>
public sealed class ComparisonRunner(ComparisonRecipe recipe, string outDir, IProgress<ProgressReport>? progress = null, Action<string>? log = null,
                                    Device? device = null)
{
    private readonly Dictionary<string, double> _shared = new();
    private EmbeddingNetwork? _embedding;
    private Tensor? _trainFeatures;
    private DifficultyScores? _forgetting;

    public const string JsonFile = "comparison.json", MarkdownFile = "comparison.md", PlotFile = "comparison.png";

    /// <summary>Makes (or reuses) and evaluates every set, then writes the table and the plot.</summary>
    public ComparisonResult Run(CancellationToken ct = default)
    {
        using var data = Prepare();
        var rows = new List<ComparisonRow>();
        double? radius = null;
        Tensor? testFeatures = null;
        try
        {
            foreach (var ipc in recipe.Ipcs)
                foreach (var method in recipe.Methods)
                {
                    var (set, path, makeSeconds) = MakeOrLoad(data, method, ipc, ct);
                    using (set)
                    {
                        var (acc, evalSeconds) = EvaluateOrLoad(data, set, path, ipc, ct);
                        double? coverage = null;
                        if (recipe.Coverage.ReferencePerClass > 0)
                        {
                            radius ??= Timed("coverage radius", () => Coverage.Radius(ReferenceFeatures(data, ct)));
                            testFeatures ??= Embedding(data, ct).Embed(data.Test.Images);
                            using var f = Embedding(data, ct).Embed(set.Images.To(data.Train.Images.Device));
                            coverage = Selection.Coverage.Of(f, testFeatures, radius.Value);
                        }
                        rows.Add(new ComparisonRow(method, ipc, acc, coverage, makeSeconds, evalSeconds,
                                                   PublishedResults.Find(recipe.Dataset, method, ipc), Path.GetRelativePath(outDir, path)));
                        log?.Invoke($"{method} IPC {ipc}: {100 * acc.Mean:F2} ± {100 * acc.Std:F2} %");
                    }
                }
        }
        finally
        {
            testFeatures?.Dispose();
            DisposeShared();
        }
        var protocol = recipe.ToEvalProtocol(recipe.Ipcs[0]);
        string evaluation = $"{protocol.Name} protocol: {protocol.Model}, epochs {string.Join(" / ", recipe.Ipcs.Select(i => $"{recipe.EvalEpochs(i)}+1 (IPC {i})"))}, " +
                            $"{protocol.Networks} networks, aug {Training.Augmentation.Name(protocol.Augmentation)}" +
                            (recipe.TestPerClass is int tp ? $", {tp} test images per class" : ", full test set");
        var result = new ComparisonResult(recipe.Dataset, rows, _shared, evaluation, Path.Combine(outDir, JsonFile),
                                          Path.Combine(outDir, MarkdownFile), Path.Combine(outDir, PlotFile));
        ComparisonReport.Write(recipe, result);
        return result;
    }

    /// <summary>Makes (or reuses) one method's sets at every IPC without evaluating them (`ddist distill RECIPE
    /// --method dc|dsa|dm`, `ddist select` from a recipe). Returns the set files.</summary>
    public IReadOnlyList<string> Make(string method, CancellationToken ct = default)
    {
        if (!recipe.Methods.Contains(method))
            throw new ArgumentException($"recipe '{recipe.Name}': field 'methods' does not list '{method}' (it lists {string.Join(", ", recipe.Methods)})");
        using var data = Prepare();
        var paths = new List<string>();
        try
        {
            foreach (var ipc in recipe.Ipcs)
            {
                var (set, path, _) = MakeOrLoad(data, method, ipc, ct);
                set.Dispose();
                paths.Add(path);
            }
        }
        finally { DisposeShared(); }
        return paths;
    }

    private sealed class Data(ImageDataset train, ImageDataset test) : IDisposable
    {
        public ImageDataset Train { get; } = train;
        public ImageDataset Test { get; } = test;
        public void Dispose() { Train.Dispose(); Test.Dispose(); }
    }

    /// <summary>Checks the folder belongs to this recipe, then loads (and subsets) the data.</summary>
    private Data Prepare()
    {
        Directory.CreateDirectory(outDir);
        var recipePath = Path.Combine(outDir, "recipe.json");
        var json = recipe.ToJson();
        if (File.Exists(recipePath) && File.ReadAllText(recipePath) != json && Directory.EnumerateDirectories(outDir, "ipc*").Any())
            throw new InvalidOperationException($"{outDir}: holds the results of another recipe (recipe.json differs); use another --out");
        AtomicFile.WriteAllText(recipePath, json);

        var raw = DatasetRegistry.Load(recipe.Dataset);
        var norm = DatasetRegistry.GetSpec(recipe.Dataset).DefaultNormalization;
        var train = ImageDataset.FromRaw(Subset(raw.Train, recipe.TrainPerClass, recipe.Seed), norm, device ?? Device.Cpu, raw.Name);
        var test = ImageDataset.FromRaw(Subset(raw.Test, recipe.TestPerClass, recipe.Seed + 1), norm, device ?? Device.Cpu, raw.Name);
        return new Data(train, test);
    }

    private static RawImageSet Subset(RawImageSet set, int? perClass, int seed) =>
        perClass is int n ? set.Subset(SubsetSampler.ClassBalanced(set.Labels, set.NumClasses, n, seed)) : set;

    private INetwork Net(ImageDataset d, string model) => ModelZoo.Create(model, d.Channels, d.NumClasses, d.Height, d.Width);

    private (SmallSet Set, string Path, double Seconds) MakeOrLoad(Data data, string method, int ipc, CancellationToken ct)
    {
        var dir = Path.Combine(outDir, $"ipc{ipc}", method);
        bool distilled = method is "dc" or "dsa" or "dm";
        var path = Path.Combine(dir, distilled ? "synthetic.safetensors" : "selected.safetensors");
        var madePath = Path.Combine(dir, "made.json");
        if (File.Exists(path) && File.Exists(madePath))
            return (SmallSet.Load(path), path, JsonDocument.Parse(File.ReadAllText(madePath)).RootElement.GetProperty("seconds").GetDouble());

        var clock = Stopwatch.StartNew();
        var train = data.Train;
        SmallSet set;
        string Subset() => recipe.TrainPerClass is int n ? $"{n} per class (seed {recipe.Seed})" : "all";
        switch (method)
        {
            case "random":
                set = RandomSelection.Select(train, ipc, (ulong)recipe.Seed);
                break;
            case "herding" or "herding-argmax" or "kcenter":
            {
                var features = TrainFeatures(data, ct);
                var info = CoresetSelection.Info(train, method, ipc, recipe.Seed, new()
                {
                    ["embedding"] = recipe.ToEmbeddingOptions().ToString(), ["train_subset"] = Subset(),
                });
                set = method == "kcenter"
                    ? CoresetSelection.KCenter(train, features, ipc, recipe.Seed, info)
                    : CoresetSelection.Herd(train, features, ipc, method == "herding" ? HerdingRule.Argmin : HerdingRule.Argmax, info);
                break;
            }
            case "forgetting":
                set = CoresetSelection.Forgetting(train, Forgetting(data, ct), ipc,
                    CoresetSelection.Info(train, method, ipc, recipe.Seed, new() { ["scores"] = _forgetting!.Source, ["train_subset"] = Subset() }));
                break;
            case "dc" or "dsa":
            {
                using var pool = new ClassImagePool(train);
                var model = method == "dsa" ? recipe.Dsa.Model : recipe.Dc.Model;
                var r = new GradientMatching(Net(train, model), pool).Run(recipe.ToGradientMatchingOptions(method, ipc), progress, ct,
                                                                      new MatchingCheckpoints(dir, MatchingCheckpoints.DefaultEvery(method)));
                r.Save(dir);
                set = r.Set;
                break;
            }
            case "dm":
            {
                using var pool = new ClassImagePool(train);
                var r = new DistributionMatching(Net(train, recipe.Dm.Model), pool).Run(recipe.ToDistributionMatchingOptions(ipc), progress, ct,
                                                                                     new MatchingCheckpoints(dir, MatchingCheckpoints.DefaultEvery(method)));
                r.Save(dir);
                set = r.Set;
                break;
            }
            default:
                throw new ArgumentException($"unknown method '{method}'");
        }
        Directory.CreateDirectory(dir);
        if (!distilled) set.Save(path);
        AtomicFile.WriteAllText(madePath, JsonSerializer.Serialize(new { method, ipc, seconds = clock.Elapsed.TotalSeconds }));
        return (set, path, clock.Elapsed.TotalSeconds);
    }

    private (AccuracyEstimate Accuracy, double Seconds) EvaluateOrLoad(Data data, SmallSet set, string setPath, int ipc, CancellationToken ct)
    {
        var protocol = recipe.ToEvalProtocol(ipc);
        var evalPath = Path.Combine(Path.GetDirectoryName(setPath)!, "eval.json");
        if (File.Exists(evalPath))
        {
            var saved = JsonSerializer.Deserialize<SavedEval>(File.ReadAllText(evalPath))!;
            return (AccuracyEstimate.Of(saved.Accuracies), saved.Seconds);
        }
        var r = SmallSetEvaluator.Evaluate(set, data.Test, protocol, (ulong)recipe.Seed, progress, ct);
        AtomicFile.WriteAllText(evalPath, JsonSerializer.Serialize(new SavedEval(r.Mean, r.Std, r.Accuracies, r.Elapsed.TotalSeconds, protocol.Name, protocol.Epochs, protocol.Networks)));
        return (new AccuracyEstimate(r.Mean, r.Std, r.Accuracies), r.Elapsed.TotalSeconds);
    }

    private sealed record SavedEval(double Mean, double Std, double[] Accuracies, double Seconds, string Protocol, int Epochs, int Nets);

    private EmbeddingNetwork Embedding(Data data, CancellationToken ct) =>
        _embedding ??= Timed("embedding network", () => EmbeddingNetwork.Train(data.Train, recipe.ToEmbeddingOptions(), progress, ct));

    private Tensor TrainFeatures(Data data, CancellationToken ct) =>
        _trainFeatures ??= Timed("embedding features", () => Embedding(data, ct).Embed(data.Train.Images));

    private Tensor ReferenceFeatures(Data data, CancellationToken ct)
    {
        using var labels = data.Train.Labels.To(DType.Int64, Device.Cpu);
        var y = labels.ToArray<long>().Select(v => (int)v).ToArray();
        int perClass = Math.Min(recipe.Coverage.ReferencePerClass, data.Train.IndicesByClass().Min(c => c.Length));
        var rows = SubsetSampler.ClassBalanced(y, data.Train.NumClasses, perClass, recipe.Seed + 2);
        using var idx = Tensors.FromArray(rows);
        return TrainFeatures(data, ct).IndexSelect(0, idx);
    }

    private DifficultyScores Forgetting(Data data, CancellationToken ct)
    {
        if (_forgetting is not null) return _forgetting;
        var path = Path.Combine(outDir, "forgetting-scores.safetensors");
        if (File.Exists(path)) return _forgetting = DifficultyScores.Load(path);
        var model = recipe.Forgetting.Model ?? recipe.Coreset.Model;
        _forgetting = Timed("forgetting scores", () => new ForgettingScoreTrainer(() => Net(data.Train, model), data.Train).Run(recipe.ToForgettingOptions(), progress, ct));
        _forgetting.Save(path);
        return _forgetting;
    }

    private T Timed<T>(string what, Func<T> work)
    {
        log?.Invoke($"{what}…");
        var clock = Stopwatch.StartNew();
        var r = work();
        _shared[what] = clock.Elapsed.TotalSeconds;
        return r;
    }

    private void DisposeShared()
    {
        _trainFeatures?.Dispose();
        _embedding?.Dispose();
        _trainFeatures = null;
        _embedding = null;
    }
}
