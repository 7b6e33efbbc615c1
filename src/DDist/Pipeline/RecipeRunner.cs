using System.Diagnostics;
using System.Globalization;
using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;
using DDist.Training.Experts;

namespace DDist.Pipeline;

/// <summary>The result of a recipe run: the comparison rows and where the report is (null when the run stopped
/// before the report: <see cref="PipelineOptions.StopAfter"/>).
/// <paramref name="ChosenOn"/> says what β (and every other choice) was chosen on, for every output to show.</summary>
public sealed record PipelineResult(IReadOnlyList<MethodRow> Rows, double? Beta, string? ReportPath, IReadOnlyList<PipelineState.StageTime> Stages,
                                    string? ChosenOn = null);

/// <summary>The last stage a run goes through; the single-stage commands (`ddist experts/scores/window/distill`
/// with a recipe) are runs that stop early, so every stage shares one folder layout and resumes the same way.</summary>
public enum PipelineStop { Experts, Scores, Window, Distill, Report }

public sealed record PipelineOptions
{
    public PipelineStop StopAfter { get; init; } = PipelineStop.Report;
    /// <summary>Splits the window search's β grid across machines: this one evaluates β number k when k % count == index.</summary>
    public int WindowShardIndex { get; init; }
    public int WindowShardCount { get; init; } = 1;
    /// <summary>The methods to distil ("mtt", "selmatch"); null = those the recipe compares (SelMatch always). Lets
    /// `ddist distill --method` run one method without changing the recipe (which would make it another experiment).</summary>
    public IReadOnlyCollection<string>? DistillMethods { get; init; }
    /// <summary>Where training, distillation and evaluation run: the train and test sets are loaded onto it once,
    /// and every network, mini-batch, augmentation and expert θ read follows the data's device.</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Trains only these experts (one Slurm array task per expert); the stage is recorded only when unsharded.</summary>
    public ShardSpec ExpertShard { get; init; } = ShardSpec.All;
    /// <summary>With <see cref="PipelineStop.Distill"/>: distill only this method; with <see cref="PipelineStop.Report"/>:
    /// evaluate only this row and stop before the report (one scheduler task per distillation or row). Null: all.</summary>
    public string? OnlyMethod { get; init; }
    /// <summary>With <see cref="OnlyMethod"/> at the evaluation: train only this evaluation network and keep its accuracy in
    /// eval/ROW/net-K.json; a later run without it assembles the row from those files (one scheduler task per network).</summary>
    public int? EvalNetwork { get; init; }
    /// <summary>Train only this forgetting run (kept in forgetting/run-R.safetensors) and stop; a later run without it
    /// combines the runs into the scores (one scheduler task per run).</summary>
    public int? ForgettingRun { get; init; }
    /// <summary>Evaluate only the Index-th surviving β of successive-halving round Round (1-based; kept in
    /// halving/round-R/) and stop; a later run without it reads the rounds back (one scheduler array per round).</summary>
    public (int Round, int Index)? HalvingTask { get; init; }
}

/// <summary>Runs a recipe end to end — data → experts → scores → window search → distillation (MTT and SelMatch)
/// → evaluation of Random / window-only / MTT / SelMatch → report — in one output folder. Every stage either
/// resumes by itself (experts, window points, distillation checkpoints) or is recorded in pipeline.json when done,
/// so a second run after an interruption does only what is missing.</summary>
public sealed class RecipeRunner(Recipe recipe, string outDir, IProgress<ProgressReport>? progress = null, Action<string>? log = null,
                                 PipelineOptions? options = null)
{
    /// <summary>The training indices of the validation split (when the recipe selects on validation).</summary>
    public const string ValidationFile = "validation.json";
    private readonly PipelineOptions _options = options ?? new PipelineOptions();
    private PipelineState _state = new();

    public PipelineResult Run(CancellationToken ct = default)
    {
        var r = recipe;
        Directory.CreateDirectory(outDir);
        _state = PipelineState.LoadOrCreate(outDir, r.ToJsonNode());
        AtomicFileText("recipe.json", r.ToJson());

        var (raw, train, test) = Stage("load data", () =>
        {
            var raw = DatasetRegistry.Load(r.Dataset);
            var norm = DatasetRegistry.GetSpec(r.Dataset).DefaultNormalization;
            var device = _options.Device;
            return (raw, ImageDataset.FromRaw(raw.Train, norm, device, raw.Name), ImageDataset.FromRaw(raw.Test, norm, device, raw.Name));
        }, record: false);
        using var trainOwner = train;
        using var testOwner = test;
        var norm = train.Normalization!;
        INetwork Net(string model) => ModelZoo.Create(model, train.Channels, train.NumClasses, train.Height, train.Width);
        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var labels = labelsCpu.ToArray<long>();

        var expertDir = Path.Combine(outDir, "experts");
        Stage("experts", () => TrainExperts(raw, train, norm, Net, expertDir, ct), record: _options.ExpertShard.Count == 1);
        if (_options.StopAfter == PipelineStop.Experts) return Stopped(null);

        var scoresPath = Path.Combine(outDir, "scores.safetensors");
        var forgettingDir = Path.Combine(outDir, "forgetting");
        if (_options.ForgettingRun is int run && r.ResolveScoreFile() is null && !File.Exists(scoresPath))
        {
            new ForgettingScoreTrainer(() => Net(r.ScoreModel), train).TrainOrLoad(run, r.ToForgettingOptions(), forgettingDir, progress, ct);
            return Stopped(null);
        }
        var scores = Stage("scores", () =>
        {
            var s = r.ResolveScoreFile() is string file
                ? ScoreImport.Load(file, r.ScoreKind, raw.Name, labels)
                : new ForgettingScoreTrainer(() => Net(r.ScoreModel), train).Run(r.ToForgettingOptions(), progress, ct, forgettingDir);
            s.Save(scoresPath);
            return s;
        }, skipWith: File.Exists(scoresPath) ? () => DifficultyScores.Load(scoresPath) : null);
        if (_options.StopAfter == PipelineStop.Scores) return Stopped(null);

        // Every choice (β, successive halving, the best iteration) is made on a validation split carved here, before
        // anything is chosen, and held out of every small set: windows are cut from the rest of each class, and the
        // random baseline (MTT's initialisation) is drawn from it. A recipe that says selectOn "test" reproduces the
        // reference protocol instead (SelMatch's sliding window and images_best choose on test), and says so.
        var (validation, heldOutIndices) = r.SelectOn == SelectOn.Validation
            ? ValidationSplit.Carve(train, r.Distill.ValidationPerClass, new HashSet<long>(), r.Seed + 1)
            : ((ImageDataset?)null, Array.Empty<int>());
        using var validationOwner = validation;
        var heldOut = heldOutIndices.ToHashSet();
        var ranking = DifficultyRanking.Build(scores, labels, train.NumClasses).Without(heldOut);
        string chosenOn = validation is null ? SelectionLabels.Test
            : Invariant($"{SelectionLabels.Validation} ({validation.Count} training images, {r.Distill.ValidationPerClass} per class, held out of every small set)");
        _state.ChosenOn = chosenOn;
        if (validation is not null)   // which training images were held out, so anyone can check no small set holds one
            AtomicFileText(ValidationFile, System.Text.Json.JsonSerializer.Serialize(new
            {
                chosen_on = chosenOn, per_class = r.Distill.ValidationPerClass, seed = r.Seed + 1, indices = heldOutIndices,
            }));

        var protocol = r.ToEvalProtocol();
        var onTest = EvaluatorBinding.Bind(test, protocol);
        var choiceSet = validation ?? test;
        var select = EvaluatorBinding.Bind(choiceSet, protocol);
        // The window's networks train as SelMatch's sliding-window scripts do (DSA on the all-real window).
        var selectWindow = EvaluatorBinding.Bind(choiceSet, r.ToWindowProtocol());
        var window = Stage("window search", () =>
            new WindowSearch(train, ranking, scores, selectWindow).Run(r.ToWindowSearchOptions(Path.Combine(outDir, "window"), norm.Name) with
                { ShardIndex = _options.WindowShardIndex, ShardCount = _options.WindowShardCount }, progress, ct),
            record: _options.WindowShardCount == 1);
        // A shard stops at its own β points, so shards finishing together never both go on to the later stages.
        if (!window.Complete || _options.WindowShardCount > 1)
        {
            log?.Invoke($"window search: {window.Points.Count} of {r.Window.Betas.Length} β points done (this is shard " +
                        $"{_options.WindowShardIndex}/{_options.WindowShardCount}); run the other shards into the same folder, then continue without --shard");
            return Stopped(null);
        }
        if (r.ToHalvingOptions(Path.Combine(outDir, "halving.json"), norm.Name) is { } halvingOptions && _state.Halving is null)
        {
            halvingOptions = halvingOptions with { PointDir = Path.Combine(outDir, "halving") };
            if (_options.HalvingTask is { } task)
            {
                new SuccessiveHalvingSearch(train, ranking, scores, selectWindow).RunTask(halvingOptions, task.Round, task.Index, ct);
                return Stopped(null);
            }
            _state.Halving = Stage("successive halving", () =>
                new SuccessiveHalvingSearch(train, ranking, scores, selectWindow).Run(halvingOptions, window, progress, ct));
        }
        double beta = r.Distill.Beta ?? window.BestBeta
                      ?? throw new InvalidOperationException("the window search finished without a best β");
        _state.ChosenBeta = beta;
        _state.Save(outDir);
        string betaNote = r.Distill.Beta is null ? $"chosen on the {chosenOn}" : "fixed by the recipe";
        log?.Invoke(Invariant($"β = {beta} ({betaNote})"));
        if (_options.StopAfter == PipelineStop.Window) return Stopped(beta);

        var split = WindowSelection.Choose(ranking, beta, r.Ipc, r.WindowOffset, r.Distill.DistilledFraction, r.FrozenPart, r.WindowOverflow);
        using var random = RandomSelection.Select(train, r.Ipc, (ulong)r.Seed, norm.Name, heldOut);
        var windowInfo = new SmallSetInfo { Dataset = raw.Name, Normalization = norm.Name, Method = "window", Ipc = r.Ipc, NumClasses = train.NumClasses, Seed = (ulong)r.Seed };
        using var windowSet = RealSubset.FromWindow(train, WindowSelection.Choose(ranking, beta, r.Ipc, r.WindowOffset, 0, r.FrozenPart, r.WindowOverflow), windowInfo);
        random.Save(Path.Combine(outDir, "random.safetensors"));
        windowSet.Save(Path.Combine(outDir, "window.safetensors"));

        // Distillation: MTT starts from random real images (α = 1), SelMatch from the chosen window with partial updates.
        var randomPerClass = Enumerable.Range(0, train.NumClasses)
            .Select(c => random.SourceIndex.Where(i => labels[i] == c).Select(i => (int)i).ToArray()).ToArray();
        var experts = ExpertStoreTrajectories.Open(expertDir);
        var strategy = r.DsaStrategy;
        Func<Tensor, Tensor>? dsa = r.Distill.Dsa ? x => Dsa.Augment(x, strategy, DsaParams.Default) : null;
        Distilled Distill(string method, Func<SyntheticSet> synthetic) => Stage($"distill {method}", () =>
        {
            using var syn = synthetic();
            var res = new TrajectoryMatching(Net(r.Experts.Model), experts, syn, norm.Name, dsa, select)
                .Run(r.ToTrajectoryMatchingOptions(Path.Combine(outDir, method), method), progress, ct);
            return new Distilled(res.Set, res.Curve, res.BestIteration);
        }, skipWith: File.Exists(Path.Combine(outDir, method, "synthetic.safetensors")) ? () => Distilled.Load(Path.Combine(outDir, method)) : null);
        var methods = _options.DistillMethods ?? [.. r.Compare, "selmatch"];
        bool DistillsNow(string method) => methods.Contains(method) && (_options.StopAfter != PipelineStop.Distill || _options.OnlyMethod is null || _options.OnlyMethod == method);
        using var mtt = DistillsNow("mtt")
            ? Distill("mtt", () => SyntheticSet.FromIndices(train, randomPerClass, randomPerClass.Select(_ => Array.Empty<int>()).ToArray(), r.Ipc))
            : null;
        using var selmatchOrNull = DistillsNow("selmatch") ? Distill("selmatch", () => split.ToSyntheticSet(train)) : null;
        if (_options.StopAfter == PipelineStop.Distill || selmatchOrNull is null) return Stopped(beta);
        var selmatch = selmatchOrNull;

        // Evaluation: fresh networks on each small set, tested on the test set; each finished row is kept.
        var budget = new EvalBudget(r.Evaluation.Epochs, r.Evaluation.Nets);
        var candidates = new (string Key, string Method, SmallSet? Set, TimeSpan Make, string Note)[]
        {
            ("random", "Random", random, TimeSpan.Zero, ""),
            ("window", "Window only", windowSet, _state.TimeOf("window search"), Invariant($"β {beta} ({r.Window.Offset}; {betaNote})")),
            ("mtt", "MTT", mtt?.Set, _state.TimeOf("distill mtt"), Invariant($"{r.Distill.Iterations} it, best at {mtt?.BestIteration}")),
            ("selmatch", "SelMatch", selmatch.Set, _state.TimeOf("distill selmatch"),
             Invariant($"α {r.Distill.DistilledFraction}, β {beta}, {r.Distill.Iterations} it, best at {selmatch.BestIteration}")),
        };
        foreach (var (key, method, set, make, note) in candidates)
        {
            if (set is null || !r.Compare.Contains(key) || _state.Rows.ContainsKey(key) || _options.OnlyMethod is { } only && only != key) continue;
            if (_options.EvalNetwork is int k)
            {
                NetworkResults.EvaluateOne(outDir, key, k, () => onTest(set, budget with { OnlyNetwork = k }, r.Seed + 100, ct).Accuracies.Single());
                continue;
            }
            var acc = Stage($"evaluate {method}", () => NetworkResults.TryAssemble(outDir, key, budget.Nets) ?? onTest(set, budget, r.Seed + 100, ct));
            _state.Rows[key] = new PipelineState.EvaluatedRow(method, acc.Mean, acc.Std, acc.Accuracies.ToArray(), make.TotalSeconds, note);
            _state.Save(outDir);
            log?.Invoke(Invariant($"{method}: {100 * acc.Mean:F2} ± {100 * acc.Std:F2} %"));
        }

        if (_options.OnlyMethod is not null) return Stopped(beta);

        var rows = _state.MethodRows(candidates.Select(c => c.Key));
        // The report is drawn from the saved files alone, exactly as `ddist report` redraws it later.
        var report = RunReport.Write(outDir, new ReportHeader(r.Name,
            [
                Invariant($"dataset {raw.Name}, IPC {r.Ipc} ({r.SplitPerClass.Distilled} distilled + {r.SplitPerClass.Selected} selected per class), β {beta} ({r.Window.Offset})"),
                Invariant($"experts {r.Experts.Count} × {r.Experts.Model}, {r.Experts.Epochs} epochs; scores {scores.Source}"),
                Invariant($"every choice (β, successive halving, best iteration) made on the {chosenOn}; β {beta} {betaNote}"),
                Invariant($"window search: {r.Window.Epochs}+1 epochs × {r.Window.Nets} networks per β, augmentation {r.Window.Augmentation}"),
                Invariant($"distillation {r.Distill.Iterations} iterations, N {r.Distill.SynSteps}, batch {r.Distill.BatchSyn}, gradient by {UnrollLabel(r)}, best iteration chosen on the {chosenOn}"),
                Invariant($"evaluation: {protocol.Name} protocol, {protocol.Model}, {r.Evaluation.Epochs}+1 epochs, {r.Evaluation.Nets} networks; threads {Tensors.NumThreads}, device {_options.Device}"),
            ],
            $"test set, {test.Count} images"));
        return new PipelineResult(rows, beta, report, _state.Stages, chosenOn);
    }

    private PipelineResult Stopped(double? beta) => new([], beta, null, _state.Stages, _state.ChosenOn);

    private ExpertRunSummary TrainExperts(RawDataset raw, ImageDataset train, Normalization norm, Func<string, INetwork> net, string dir, CancellationToken ct)
    {
        var r = recipe;
        // CPU recipes train experts on a class-balanced subset; the published ones on the whole set.
        using var subset = r.Experts.TrainPerClass is int per
            ? ImageDataset.FromRaw(raw.Train.Subset(SubsetSampler.ClassBalanced(raw.Train.Labels, raw.NumClasses, per, r.Seed)), norm, _options.Device, raw.Name)
            : null;
        var data = subset ?? train;
        var info = new ExpertDataInfo(raw.Name, norm.Name, false, data.Count, train.Channels, train.Height, train.Width, train.NumClasses);
        return new ExpertTrainer(net(r.Experts.Model), r.ToExpertOptions(), info).Train(dir, data, null, _options.ExpertShard, progress, ct);
    }

    /// <summary>Runs a stage and records its wall time; a stage already recorded is skipped through
    /// <paramref name="skipWith"/> when given (or re-entered, for stages that resume by themselves).</summary>
    private T Stage<T>(string name, Func<T> work, Func<T>? skipWith = null, bool record = true)
    {
        if (record && _state.Done(name) && skipWith is not null)
        {
            log?.Invoke($"{name}: done earlier ({_state.TimeOf(name).TotalSeconds:F0} s), reusing it");
            return skipWith();
        }
        log?.Invoke($"{name} ...");
        var clock = Stopwatch.StartNew();
        var result = work();
        log?.Invoke($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
        if (record && !_state.Done(name))
        {
            _state.Stages.Add(new PipelineState.StageTime(name, clock.Elapsed.TotalSeconds));
            _state.Save(outDir);
        }
        return result;
    }

    private void AtomicFileText(string name, string text) => DDist.Torch.IO.AtomicFile.WriteAllText(Path.Combine(outDir, name), text);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>A distilled set with what the report needs, fresh from a run or read back from its folder.</summary>
    private sealed record Distilled(SmallSet Set, IReadOnlyList<LossPoint> Curve, int BestIteration) : IDisposable
    {
        public static Distilled Load(string dir)
        {
            var set = SmallSet.Load(Path.Combine(dir, "synthetic.safetensors"));
            var curve = LossCurve.Load(Path.Combine(dir, "loss.json"));
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json")));
            int best = summary.RootElement.TryGetProperty("best_iteration", out var b) ? b.GetInt32() : -1;
            return new Distilled(set, curve, best);
        }

        public void Dispose() => Set.Dispose();
    }

    /// <summary>How distillation differentiated through the student steps, with TESLA marked approximate.</summary>
    private static string UnrollLabel(Recipe r) => r.ToTrajectoryMatchingOptions("-").Unroll switch
    {
        DDist.Distillation.Unrolling.UnrollMode.Full => "full unrolling",
        DDist.Distillation.Unrolling.UnrollMode.Exact => "exact recomputation",
        _ => "TESLA (approximate)",
    };
}
