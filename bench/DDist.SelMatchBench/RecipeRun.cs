using System.Diagnostics;
using System.Globalization;
using DDist;
using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Models;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;
using DDist.Training.Experts;

/// <summary>Runs a recipe end to end with the library's stage classes and times each stage — the measurement that
/// sized the demo recipe. (The `ddist run` pipeline is the command-line version of the same sequence.)</summary>
internal static class RecipeRun
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly List<(string, TimeSpan)> Stages = new();

    private static T Stage<T>(string name, Func<T> work)
    {
        var sw = Stopwatch.StartNew();
        Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {name} ...");
        var r = work();
        Stages.Add((name, sw.Elapsed));
        Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {name}: {sw.Elapsed.TotalSeconds:F1} s");
        return r;
    }

    private sealed class Log(string stage) : IProgress<ProgressReport>
    {
        private DateTime _last = DateTime.MinValue;
        public void Report(ProgressReport p)
        {
            if ((DateTime.UtcNow - _last).TotalSeconds < 15 && p.Done != p.Total) return;
            _last = DateTime.UtcNow;
            var m = p.Metrics is null ? "" : string.Join(" ", p.Metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:G4}")));
            Console.WriteLine($"    {stage} {p.Stage} {p.Done}/{p.Total} {m}");
        }
    }

    public static int Run(string recipePath, string outDir)
    {
        var r = Recipe.Load(recipePath);
        Directory.CreateDirectory(outDir);
        var (raw, train, test) = Stage("load data", () =>
        {
            var raw = DatasetRegistry.Load(r.Dataset);
            var norm = DatasetRegistry.GetSpec(r.Dataset).DefaultNormalization;
            return (raw, ImageDataset.FromRaw(raw.Train, norm, Device.Cpu, raw.Name), ImageDataset.FromRaw(raw.Test, norm, Device.Cpu, raw.Name));
        });
        var norm = train.Normalization!;
        INetwork Net(string model) => ModelZoo.Create(model, train.Channels, train.NumClasses, train.Height, train.Width);

        var expertDir = Path.Combine(outDir, "experts");
        Stage("experts", () =>
        {
            var subset = r.Experts.TrainPerClass is int per
                ? ImageDataset.FromRaw(raw.Train.Subset(SubsetSampler.ClassBalanced(raw.Train.Labels, raw.NumClasses, per, r.Seed)), norm, Device.Cpu, raw.Name)
                : train;
            var info = new ExpertDataInfo(raw.Name, norm.Name, false, subset.Count, train.Channels, train.Height, train.Width, train.NumClasses);
            var result = new ExpertTrainer(Net(r.Experts.Model), r.ToExpertOptions(), info).Train(expertDir, subset, null, ShardSpec.All, new Log("experts"));
            if (!ReferenceEquals(subset, train)) subset.Dispose();
            return result;
        });

        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var labels = labelsCpu.ToArray<long>();
        var scores = Stage("scores", () => r.ResolveScoreFile() is string file
            ? ScoreImport.Load(file, r.ScoreKind, raw.Name, labels)
            : new ForgettingScoreTrainer(() => Net(r.ScoreModel), train).Run(r.ToForgettingOptions(), new Log("forgetting")));
        scores.Save(Path.Combine(outDir, "scores.safetensors"));
        var ranking = DifficultyRanking.Build(scores, labels, train.NumClasses);

        var protocol = r.ToEvalProtocol();
        var onTest = EvaluatorBinding.Bind(test, protocol);
        var window = Stage("window search", () =>
            new WindowSearch(train, ranking, scores, onTest).Run(r.ToWindowSearchOptions(Path.Combine(outDir, "window"), norm.Name), new Log("window")));
        SuccessiveHalvingResult? halving = null;
        if (r.ToHalvingOptions(Path.Combine(outDir, "halving.json"), norm.Name) is { } ho)
            halving = Stage("successive halving", () => new SuccessiveHalvingSearch(train, ranking, scores, onTest).Run(ho, window, new Log("halving")));
        double beta = r.Distill.Beta ?? window.BestBeta!.Value;

        var split = WindowSelection.Choose(ranking, beta, r.Ipc, r.WindowOffset, r.Distill.Alpha, r.FrozenPart, r.WindowOverflow);
        using var random = RandomSelection.Select(train, r.Ipc, (ulong)r.Seed, norm.Name);
        var randomPerClass = Enumerable.Range(0, train.NumClasses)
            .Select(c => random.SourceIndex.Where(i => labels[i] == c).Select(i => (int)i).ToArray()).ToArray();
        var (validation, _) = ValidationSplit.Carve(train, r.Distill.ValidationPerClass,
            split.AllIndices().Select(i => (long)i).Concat(random.SourceIndex).ToHashSet(), r.Seed + 1);
        var select = r.SelectOn == SelectOn.Test ? onTest : EvaluatorBinding.Bind(validation, protocol);
        var experts = ExpertStoreTrajectories.Open(expertDir);
        var strategy = r.DsaStrategy;
        Func<Tensor, Tensor>? dsa = r.Distill.Dsa ? x => Dsa.Augment(x, strategy, DsaParams.Default) : null;

        DistillationResult Distill(string method, SyntheticSet syn) =>
            new TrajectoryMatching(Net(r.Experts.Model), experts, syn, norm.Name, dsa, select)
                .Run(r.ToTrajectoryMatchingOptions(Path.Combine(outDir, method), method), new Log(method));
        using var mttSyn = SyntheticSet.FromIndices(train, randomPerClass, randomPerClass.Select(_ => Array.Empty<int>()).ToArray(), r.Ipc);
        using var mtt = Stage("distill mtt", () => Distill("mtt", mttSyn));
        using var selSyn = SyntheticSet.FromWindow(train, split);
        using var selmatch = Stage("distill selmatch", () => Distill("selmatch", selSyn));

        var windowInfo = new SmallSetInfo { Dataset = raw.Name, Normalization = norm.Name, Method = "window", Ipc = r.Ipc, NumClasses = train.NumClasses, Seed = (ulong)r.Seed };
        using var windowSet = RealSubset.FromWindow(train, WindowSelection.Choose(ranking, beta, r.Ipc, r.WindowOffset, 0, r.FrozenPart, r.WindowOverflow), windowInfo);
        var budget = new EvalBudget(r.Evaluation.Epochs, r.Evaluation.Nets);
        var rows = new List<MethodRow>();
        var stageTime = Stages.ToDictionary(s => s.Item1, s => s.Item2);
        foreach (var (name, set, make, note) in new (string, SmallSet, TimeSpan, string)[]
                 {
                     ("Random", random, TimeSpan.Zero, ""),
                     ("Window only", windowSet, stageTime["window search"], string.Create(CultureInfo.InvariantCulture, $"β {beta}")),
                     ("MTT", mtt.Set, stageTime["distill mtt"], string.Create(CultureInfo.InvariantCulture, $"{r.Distill.Iterations} it, best at {mtt.BestIteration}")),
                     ("SelMatch", selmatch.Set, stageTime["distill selmatch"], string.Create(CultureInfo.InvariantCulture, $"α {r.Distill.Alpha}, β {beta}, best at {selmatch.BestIteration}")),
                 })
        {
            var acc = Stage($"evaluate {name}", () => onTest(set, budget, r.Seed + 100, default));
            rows.Add(new MethodRow(name, acc, make, note));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {name}: {100 * acc.Mean:F2} ± {100 * acc.Std:F2}"));
        }
        var report = MarkdownReport.Write(new ReportInput
        {
            Title = $"{r.Name}",
            Settings =
            [
                $"dataset {raw.Name}, IPC {r.Ipc} ({r.SplitPerClass.Distilled} distilled + {r.SplitPerClass.Selected} selected per class), β {beta} ({r.Window.Offset})",
                $"experts {r.Experts.Count} × {r.Experts.Model}, {r.Experts.Epochs} epochs; scores {scores.Source}",
                $"distillation {r.Distill.Iterations} iterations, N {r.Distill.SynSteps}, batch {r.Distill.BatchSyn}, best chosen on {r.Distill.SelectOn}",
                $"evaluation: {protocol.Name} protocol, {protocol.Model}, {protocol.Epochs}+1 epochs, {protocol.Networks} networks; threads {Tensors.NumThreads}",
            ],
            Rows = rows, StageTimes = Stages, EvaluatedOn = $"test set, {test.Count} images",
            Window = window, Halving = halving, SelMatchLoss = selmatch.Curve, MttLoss = mtt.Curve,
            Selected = windowSet, Distilled = selmatch.Set, Normalization = norm,
        }, outDir);
        Console.WriteLine($"total {Clock.Elapsed.TotalMinutes:F1} min; report {report}");
        validation.Dispose(); train.Dispose(); test.Dispose();
        return 0;
    }
}
