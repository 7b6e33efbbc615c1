using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation.Unrolling;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Tests.Selection;
using DDist.Torch;

namespace DDist.Tests.Distillation;

[Collection(SerialRngCollection.Name)]
public class TrajectoryMatchingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-distill-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Classes = 3;
    private static readonly long[] Labels = ToyData.Interleaved(6, Classes);

    /// <summary>IPC 4 per class, α 0.5: 2 distilled + 2 frozen per class, the window at the start of a score = index ranking.</summary>
    private static WindowChoice Window()
    {
        var scores = new DifficultyScores { Scores = Labels.Select((_, i) => (double)i).ToArray(), Kind = ScoreKind.CScore, Direction = HardEnd.Low, Dataset = "toy", Source = "test" };
        return WindowSelection.Choose(DifficultyRanking.Build(scores, Labels, Classes), 0, 4, WindowOffset.FractionOfIpc, distilledFraction: 0.5);
    }

    private static TrajectoryMatchingOptions Options(string dir, int iterations) => new()
    {
        Iterations = iterations, SynSteps = 3, ExpertEpochs = 2, MaxStartEpoch = 2, BatchSyn = 5, LrImg = 100, LrLr = 1e-3,
        LrInit = 0.05, Seed = 11, CheckpointEvery = 2, OutputDir = dir, EvalBudget = new EvalBudget(1, 1),
    };

    /// <summary>A random augmentation through libtorch's generator, so resuming must restore the generator too.</summary>
    private static Tensor Jitter(Tensor x) => x + Tensors.Randn(x.Shape, x.DType) * 0.01;

    private sealed class SyncProgress(Action<ProgressReport> onReport) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => onReport(value);
    }

    private static (ImageDataset, TinyNet, InMemoryTrajectories) Setup(DType dtype = DType.Float32)
    {
        var data = ToyData.Make(Labels, Classes, dtype: dtype);
        var net = new TinyNet(1, Classes, 4, 4, dtype);
        var experts = InMemoryTrajectories.Train(net, data, experts: 2, epochs: 3, stepsPerEpoch: 3, lr: 0.5, seed: 5);
        return (data, net, experts);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesInFloat64()
    {
        var (data, net, experts) = Setup(DType.Float64);
        using var _d = data; using var _e = experts;
        using var syn = Window().ToSyntheticSet(data);
        using var scope = new TensorScope();
        var theta0 = experts.Read(0, 1);
        var target = experts.Read(0, 3);
        var lr = Tensors.Scalar(0.05, DType.Float64).RequiresGrad_();
        var shape = syn.Distilled.Shape;
        var x0 = syn.Distilled.Detach().ToArray<double>();

        // Two unrolled steps, batches of 5 from 12 images (the short last chunk goes first); no DSA; same permutation every call.
        double Loss(double[] xd, double lrValue, out Tensor?[] grads, bool withGrad)
        {
            using var inner = new TensorScope();
            var xdT = Tensors.FromArray(xd, shape).RequiresGrad_(withGrad);
            var lrT = Tensors.Scalar(lrValue, DType.Float64).RequiresGrad_(withGrad);
            Tensors.ManualSeed(3);
            var images = Tensors.Cat([xdT, syn.Frozen]);
            var loss = TrajectoryMatchingLoss.Compute(net, images, syn.Labels, lrT, theta0, target, 2, 5, null);
            grads = withGrad ? Autograd.Grad([loss], [xdT, lrT]).Select(g => g!.MoveToOuterScope()).ToArray() : [];
            return loss.Item();
        }

        Loss(x0, 0.05, out var analytic, withGrad: true);
        var gx = analytic[0]!.ToArray<double>();
        double gLr = analytic[1]!.Item();
        const double h = 1e-6;
        double maxErr = 0, maxGrad = gx.Max(Math.Abs);
        for (int j = 0; j < x0.Length; j++)
        {
            var plus = (double[])x0.Clone(); plus[j] += h;
            var minus = (double[])x0.Clone(); minus[j] -= h;
            double fd = (Loss(plus, 0.05, out _, false) - Loss(minus, 0.05, out _, false)) / (2 * h);
            maxErr = Math.Max(maxErr, Math.Abs(fd - gx[j]));
        }
        Assert.True(maxGrad > 1e-4, $"gradient too small to test ({maxGrad})");
        Assert.True(maxErr < 1e-5 * maxGrad, $"max |fd − autograd| = {maxErr}, max |grad| = {maxGrad}");
        double fdLr = (Loss(x0, 0.05 + h, out _, false) - Loss(x0, 0.05 - h, out _, false)) / (2 * h);
        Assert.Equal(fdLr, gLr, 6);
    }

    [Fact]
    public void FrozenPartStaysBitIdenticalWhileDistilledPartAndLrLearn()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var syn = Window().ToSyntheticSet(data);
        var frozenBefore = syn.Frozen.ToArray<float>();
        var distilledBefore = syn.Distilled.Detach().ToArray<float>();
        using var result = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(Options(_dir, 3));

        Assert.Equal(frozenBefore, syn.Frozen.ToArray<float>());
        var distilledAfter = syn.Distilled.Detach().ToArray<float>();
        Assert.True(distilledAfter.Zip(distilledBefore).Max(p => Math.Abs(p.First - p.Second)) > 1e-4);
        Assert.NotEqual(0.05, result.LearnedLr);
        Assert.Equal(3, result.Curve.Count);

        // The artefact: distilled first (marked), frozen after, with their training indices.
        var set = result.Set;
        Assert.Equal(12, set.Count);
        Assert.Equal(6, set.DistilledCount);
        Assert.True(set.IsDistilled[..6].All(d => d) && set.IsDistilled[6..].All(d => !d));
        var w = Window();
        Assert.Equal(w.Distilled.SelectMany(x => x).Concat(w.Frozen.SelectMany(x => x)).Select(i => (long)i), set.SourceIndex);
        using var frozenOut = set.Images.Narrow(0, 6, 6).Contiguous();
        Assert.Equal(frozenBefore, frozenOut.ToArray<float>());
        Assert.True(File.Exists(Path.Combine(_dir, "loss.csv")));
        Assert.True(File.Exists(Path.Combine(_dir, "synthetic.safetensors")));
    }

    /// <summary>Returns accuracies by call order and consumes (and reseeds) libtorch's generator, as real training does.</summary>
    private sealed class ScriptedEvaluator(params double[] means)
    {
        public int Calls;
        /// <summary>Calls (counted from 0) whose one network is reported diverged.</summary>
        public int[] DivergedAt { get; init; } = [];
        public EvalResult Evaluate(SmallSet set, EvalBudget budget, int seed, CancellationToken ct)
        {
            Tensors.ManualSeed(999);
            using var noise = Tensors.Rand([100]);
            int call = Calls++;
            return EvalResult.From([means[call % means.Length]], diverged: DivergedAt.Contains(call) ? 1 : 0);
        }
    }

    [Fact]
    public void KilledRunResumesToTheSameFinalImages()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var opts = Options(Path.Combine(_dir, "a"), 6) with { EvalIterations = [0, 3, 6] };

        float[] straight;
        using (var syn = Window().ToSyntheticSet(data))
        using (var r = new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.1, 0.2, 0.3).Evaluate).Run(opts))
            straight = r.Set.Images.ToArray<float>();

        var dirB = Path.Combine(_dir, "b");
        using var cts = new CancellationTokenSource();
        var killer = new SyncProgress(p => { if (p.Done == 3) cts.Cancel(); });
        using (var syn = Window().ToSyntheticSet(data))
            Assert.ThrowsAny<OperationCanceledException>(() =>
                new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.1, 0.2, 0.3).Evaluate)
                    .Run(opts with { OutputDir = dirB }, killer, cts.Token));
        double before;
        using (var ck = DistillCheckpoint.Load(TrajectoryMatching.CheckpointFile(dirB)))
        {
            Assert.Equal(2, ck.NextIteration);
            before = ck.Seconds;
        }
        Assert.True(before > 0, "the checkpoint records the seconds spent up to it");

        // A new process would rebuild the initial set from the window; the checkpoint supplies everything else.
        using var syn2 = Window().ToSyntheticSet(data);
        var evaluator = new ScriptedEvaluator(0.2, 0.3);   // the evaluation at iteration 0 is already in the checkpoint
        using var resumed = new TrajectoryMatching(net, experts, syn2, "none", Jitter, evaluator.Evaluate).Run(opts with { OutputDir = dirB });
        Assert.Equal(2, resumed.ResumedAt);
        Assert.Equal(6, resumed.Curve.Count);
        Assert.Equal(straight, resumed.Set.Images.ToArray<float>());
        // The run's time holds the session before the interruption (up to its checkpoint) and the resumed one.
        Assert.True(resumed.Elapsed.TotalSeconds > before);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dirB, "distill.json")));
        Assert.Equal(resumed.Elapsed.TotalSeconds, summary.RootElement.GetProperty("seconds").GetDouble(), 1e-9);
    }

    /// <summary>FTD's moving average (emaDecay d): the images learn exactly as without it, and the set that is kept is
    /// e_k = d·e_(k−1) + (1 − d)·x_k from e_0 = the initial images, frozen part untouched; at an evaluation point the
    /// average is what is scored and kept. The fingerprint names the decay, so a checkpoint of a run without the
    /// average is not resumed by one with it.</summary>
    [Fact]
    public void FtdKeepsTheImagesMovingAverage()
    {
        const double d = 0.75;
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var scope = new TensorScope();
        Tensor Distilled(SmallSet set) => set.Images.Narrow(0, 0, 6).Clone();
        Tensor x0;
        using (var syn = Window().ToSyntheticSet(data)) x0 = syn.Distilled.Detach().Clone();
        var raw = new List<Tensor>();
        for (int k = 1; k <= 3; k++)
        {
            using var syn = Window().ToSyntheticSet(data);
            using var r = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(Options(Path.Combine(_dir, $"raw{k}"), k));
            raw.Add(Distilled(r.Set));
        }
        var expected = new List<Tensor> { x0 };
        foreach (var x in raw) expected.Add(expected[^1].Mul(d).Add(x.Mul(1 - d)));

        var ftd = Options(Path.Combine(_dir, "ftd"), 3) with { EmaDecay = d };
        using (var syn = Window().ToSyntheticSet(data))
        {
            var frozen = syn.Frozen.ToArray<float>();
            using var r = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(ftd);
            Assert.Equal(expected[3].ToArray<float>(), Distilled(r.Set).ToArray<float>());
            Assert.Equal(raw[2].ToArray<float>(), syn.Distilled.Detach().ToArray<float>());   // the images themselves learn as without it
            using var frozenOut = r.Set.Images.Narrow(0, 6, 6).Contiguous();
            Assert.Equal(frozen, frozenOut.ToArray<float>());
            Assert.Equal("0.75", r.Set.Info.Parameters["ema_decay"]);
            Assert.Equal("moving average", r.Set.Info.Parameters["kept"]);
            Assert.Contains("moving average of the images (FTD), decay 0.75", File.ReadAllText(Path.Combine(ftd.OutputDir, "distill.json")));
        }

        // Each evaluation point after the start scores the images, then their average (FTD's evaluation), with the
        // same networks; the better of all is kept, average or images. At iteration 0 the two are one set, scored once.
        foreach (var (means, bestIt, average) in new[] { (new[] { 0.1, 0.5, 0.9, 0.6, 0.7 }, 2, true), ([0.1, 0.5, 0.4, 0.8, 0.7], 3, false) })
        {
            var scored = new List<float[]>();
            var scripted = new ScriptedEvaluator(means);
            EvalResult Evaluate(SmallSet set, EvalBudget budget, int seed, CancellationToken ct)
            {
                using (var part = Distilled(set)) scored.Add(part.ToArray<float>());
                return scripted.Evaluate(set, budget, seed, ct);
            }
            var dir = Path.Combine(_dir, $"ftd-best-{bestIt}");
            using var syn = Window().ToSyntheticSet(data);
            var reports = new List<ProgressReport>();
            using var r = new TrajectoryMatching(net, experts, syn, "none", Jitter, Evaluate).Run(ftd with { OutputDir = dir, EvalIterations = [0, 2, 3] },
                                                                                            new SyncProgress(reports.Add));
            // The progress line after iteration 2's evaluations shows both: the images' and the average's accuracy.
            Assert.Equal((means[1], means[2]), (reports[^1].Metrics!["acc"], reports[^1].Metrics!["avg_acc"]));
            Assert.Equal(new[] { x0, raw[1], expected[2], raw[2], expected[3] }.Select(t => t.ToArray<float>()), scored);
            Assert.Equal((bestIt, average), (r.BestIteration, r.KeptAverage));
            Assert.Equal((average ? expected[bestIt] : raw[bestIt - 1]).ToArray<float>(), Distilled(r.Set).ToArray<float>());
            Assert.Equal([false, false, true, false, true], r.SelectionCurve.Select(p => p.Average));
            Assert.Equal(average ? "moving average" : "images", r.Set.Info.Parameters["kept"]);
            Assert.Equal(average ? "10.00 % at 0, 50.00 % at 2, 90.00 % at 2 (average) (kept), 60.00 % at 3, 70.00 % at 3 (average)"
                                 : "10.00 % at 0, 50.00 % at 2, 40.00 % at 2 (average), 80.00 % at 3 (kept), 70.00 % at 3 (average)", r.SelectionSummary());
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json")));
            Assert.Equal(average, summary.RootElement.GetProperty("kept_average").GetBoolean());
            Assert.StartsWith(average ? "moving average of the images" : "the images (their moving average", summary.RootElement.GetProperty("images").GetString());
            var selection = DDist.Reporting.DistillSelection.Load("MTT", Path.Combine(dir, "distill.json"))!;
            Assert.Equal(average, selection.KeptAverage);
            var table = DDist.Reporting.MarkdownReport.SelectionSection([selection], "distill.evalIterations").OfType<DDist.Reporting.ReportTable>().Single();
            Assert.Equal(["Iteration", "MTT", "MTT (moving average)"], table.Header);
            Assert.Equal(average ? "90.00 ± 0.00 (kept)" : "40.00 ± 0.00", table.Rows[1][2]);
            Assert.Equal("–", table.Rows[0][2]);
        }
        using (var syn = Window().ToSyntheticSet(data))
        {
            var e = Assert.Throws<InvalidDataException>(() => new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(Options(Path.Combine(_dir, "raw3"), 3) with { EmaDecay = d }));
            Assert.Contains("|ema=0.75", e.Message);
        }
    }

    /// <summary>A run keeping FTD's average killed mid-way resumes (the average from its checkpoint) to the same set.</summary>
    [Fact]
    public void KilledFtdRunResumesToTheSameAverage()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var opts = Options(Path.Combine(_dir, "a"), 6) with { EmaDecay = 0.9 };
        float[] straight;
        using (var syn = Window().ToSyntheticSet(data))
        using (var r = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(opts))
            straight = r.Set.Images.ToArray<float>();

        var dirB = Path.Combine(_dir, "b");
        using var cts = new CancellationTokenSource();
        var killer = new SyncProgress(p => { if (p.Done == 3) cts.Cancel(); });
        using (var syn = Window().ToSyntheticSet(data))
            Assert.ThrowsAny<OperationCanceledException>(() => new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(opts with { OutputDir = dirB }, killer, cts.Token));
        using (var ck = DistillCheckpoint.Load(TrajectoryMatching.CheckpointFile(dirB)))
            Assert.NotNull(ck.Ema);
        using var syn2 = Window().ToSyntheticSet(data);
        using var resumed = new TrajectoryMatching(net, experts, syn2, "none", Jitter).Run(opts with { OutputDir = dirB });
        Assert.Equal(2, resumed.ResumedAt);
        Assert.Equal(straight, resumed.Set.Images.ToArray<float>());

        // The average kept at an evaluation before the interruption is still the one kept after it (the checkpoint
        // says which evaluations scored the average).
        var evaluated = opts with { OutputDir = Path.Combine(_dir, "c"), EvalIterations = [0, 2, 6] };
        using (var syn = Window().ToSyntheticSet(data))
        using (var r = new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.1, 0.3, 0.8, 0.5, 0.6).Evaluate).Run(evaluated))
        {
            Assert.Equal((2, true), (r.BestIteration, r.KeptAverage));
            straight = r.Set.Images.ToArray<float>();
        }
        var dirD = Path.Combine(_dir, "d");
        using var cts2 = new CancellationTokenSource();
        var killer2 = new SyncProgress(p => { if (p.Done == 5) cts2.Cancel(); });
        using (var syn = Window().ToSyntheticSet(data))
            Assert.ThrowsAny<OperationCanceledException>(() => new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.1, 0.3, 0.8).Evaluate)
                .Run(evaluated with { OutputDir = dirD }, killer2, cts2.Token));
        using var syn3 = Window().ToSyntheticSet(data);
        using var again = new TrajectoryMatching(net, experts, syn3, "none", Jitter, new ScriptedEvaluator(0.5, 0.6).Evaluate).Run(evaluated with { OutputDir = dirD });
        Assert.Equal((4, 2, true), (again.ResumedAt, again.BestIteration, again.KeptAverage));
        Assert.Equal(straight, again.Set.Images.ToArray<float>());
        Assert.Equal([false, false, true, false, true], again.SelectionCurve.Select(p => p.Average));
    }

    /// <summary>A checkpoint holding NaN (a damaged file: a run never saves one) is refused by name on load, instead of
    /// resuming into a divergence that points back to the same checkpoint.</summary>
    [Fact]
    public void ACheckpointHoldingNanIsRefusedByName()
    {
        var path = Path.Combine(_dir, "damaged.safetensors");
        using (var images = Tensors.FromArray(new float[] { 0.5f, float.NaN, 1, 2 }, 1, 1, 2, 2))
        using (var lr = Tensors.Scalar(0.01, DType.Float32, Device.Cpu))
        using (var zeros = Tensors.Zeros([1, 1, 2, 2], DType.Float32))
        using (var lrMomentum = Tensors.Zeros([], DType.Float32))
        using (var rng = Tensors.Zeros([16], DType.UInt8))
            new DistillCheckpoint
            {
                NextIteration = 3, Distilled = images, LrParam = lr, ImageMomentum = zeros, LrMomentum = lrMomentum, TorchRng = rng,
                Curve = [new LossPoint(0, 1.0, 0.01)], Fingerprint = "test",
            }.Save(path);
        var e = Assert.Throws<InvalidDataException>(() => DistillCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 'distilled' holds NaN or infinite values", e.Message);
    }

    /// <summary>A best iteration chosen before an interruption keeps its per-network accuracies through the resume
    /// (distill.json's selection_accuracy listed none after one).</summary>
    [Fact]
    public void ABestChosenBeforeAnInterruptionKeepsItsNetworksAccuracies()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var dir = Path.Combine(_dir, "best-before");
        var opts = Options(dir, 6) with { EvalIterations = [0, 3, 6] };
        using var cts = new CancellationTokenSource();
        var killer = new SyncProgress(p => { if (p.Done == 3) cts.Cancel(); });
        using (var syn = Window().ToSyntheticSet(data))
            Assert.ThrowsAny<OperationCanceledException>(() =>
                new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.9, 0.2, 0.3).Evaluate).Run(opts, killer, cts.Token));
        using var syn2 = Window().ToSyntheticSet(data);
        using var resumed = new TrajectoryMatching(net, experts, syn2, "none", Jitter, new ScriptedEvaluator(0.2, 0.3) { DivergedAt = [0] }.Evaluate).Run(opts);
        Assert.Equal(0, resumed.BestIteration);
        Assert.Equal([0.9], resumed.SelectionAccuracy!.Accuracies);

        // Every evaluation is kept, those before the interruption included, with its diverged networks; distill.json
        // lists them, and running the finished folder again evaluates nothing anew.
        // Each names the networks that scored it (one here), the one evaluated before the interruption through the checkpoint.
        SelectionPoint[] expected = [new(0, 0.9, 0, Networks: 1), new(3, 0.2, 0, Diverged: 1, Networks: 1), new(6, 0.3, 0, Networks: 1)];
        Assert.Equal(expected, resumed.SelectionCurve);
        Assert.Equal("90.00 % at 0 (kept), 20.00 % at 3 (1 of 1 diverged), 30.00 % at 6", resumed.SelectionSummary());
        using (var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json"))))
            Assert.Equal(expected, System.Text.Json.JsonSerializer.Deserialize<SelectionPoint[]>(summary.RootElement.GetProperty("selection_curve")));
        var none = new ScriptedEvaluator(0.99);
        using var syn3 = Window().ToSyntheticSet(data);
        using var again = new TrajectoryMatching(net, experts, syn3, "none", Jitter, none.Evaluate).Run(opts);
        Assert.Equal((0, 0, 0.9), (none.Calls, again.BestIteration, again.SelectionAccuracy!.Mean));
        Assert.Equal(expected, again.SelectionCurve);
    }

    /// <summary>The best iteration's networks that diverged are counted in distill.json's selection_accuracy, and the
    /// progress line carries the latest evaluation's accuracy.</summary>
    [Fact]
    public void TheChosenIterationsDivergedNetworksAreRecordedAndTheProgressShowsTheLatestAccuracy()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var dir = Path.Combine(_dir, "diverged-best");
        var reports = new List<ProgressReport>();
        using var syn = Window().ToSyntheticSet(data);
        using var r = new TrajectoryMatching(net, experts, syn, "none", Jitter, new ScriptedEvaluator(0.1, 0.6) { DivergedAt = [1] }.Evaluate)
            .Run(Options(dir, 2) with { EvalIterations = [0, 2] }, new SyncProgress(reports.Add));
        Assert.Equal((2, 1), (r.BestIteration, r.SelectionAccuracy!.Diverged));
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json")));
        Assert.Equal(1, summary.RootElement.GetProperty("selection_accuracy").GetProperty("Diverged").GetInt32());
        Assert.All(reports.Where(p => p.Stage == "distill"), p => Assert.Equal(0.1, p.Metrics!["acc"]));
    }

    /// <summary>Exact recomputation is the same method as full unrolling: the same run (float64, with a random
    /// augmentation the recomputation must replay) ends at the same images and α up to round-off, and a full-unroll
    /// checkpoint resumes under exact recomputation; TESLA's approximation is a different method and may not resume it.</summary>
    [Fact]
    public void ExactRecomputeRunsAndResumesLikeFullUnrolling()
    {
        var (data, net, experts) = Setup(DType.Float64);
        using var _d = data; using var _e = experts;
        double[] Final(TrajectoryMatchingOptions o, out double lr)
        {
            using var syn = Window().ToSyntheticSet(data);
            using var r = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(o);
            lr = r.LearnedLr;
            return r.Set.Images.ToArray<double>();
        }
        var full = Final(Options(Path.Combine(_dir, "full"), 4), out var lrFull);
        var exact = Final(Options(Path.Combine(_dir, "exact"), 4) with { Unroll = UnrollMode.Exact }, out var lrExact);
        Assert.True(full.Zip(exact).Max(p => Math.Abs(p.First - p.Second)) < 1e-9 * full.Max(Math.Abs));
        Assert.Equal(lrFull, lrExact, 12);

        var dir = Path.Combine(_dir, "mixed");
        Final(Options(dir, 2), out _);                                       // full unrolling to iteration 2, checkpointed
        var mixed = Final(Options(dir, 4) with { Unroll = UnrollMode.Exact }, out _);
        Assert.True(full.Zip(mixed).Max(p => Math.Abs(p.First - p.Second)) < 1e-9 * full.Max(Math.Abs));
        var ex = Assert.Throws<InvalidDataException>(() => Final(Options(dir, 6) with { Unroll = UnrollMode.Tesla }, out _));
        Assert.Contains("unroll=tesla", ex.Message);
    }

    [Fact]
    public void BestSetIsTheOneChosenAtTheBestEvaluationPoint()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        float[] atTwo;
        using (var syn = Window().ToSyntheticSet(data))
        using (var r = new TrajectoryMatching(net, experts, syn, "none", Jitter).Run(Options(Path.Combine(_dir, "two"), 2)))
            atTwo = r.Set.Images.ToArray<float>();

        using var syn4 = Window().ToSyntheticSet(data);
        var test = new ScriptedEvaluator(0.77);
        using var best = new TrajectoryMatching(net, experts, syn4, "none", Jitter, new ScriptedEvaluator(0.1, 0.9, 0.5).Evaluate, test.Evaluate)
            .Run(Options(Path.Combine(_dir, "four"), 4) with { EvalIterations = [0, 2, 4] });
        Assert.Equal(2, best.BestIteration);
        Assert.Equal(0.9, best.SelectionAccuracy!.Mean);
        Assert.Equal(0.77, best.TestAccuracy!.Mean);
        Assert.Equal(atTwo, best.Set.Images.ToArray<float>());
    }

    [Fact]
    public void NonFiniteLossStopsWithIterationAndKeepsLastCheckpoint()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        experts.PoisonAfterReads = experts.Reads + 8;   // iterations 0–3 read good snapshots, iteration 4 reads NaN
        using var syn = Window().ToSyntheticSet(data);
        var ex = Assert.Throws<DistillationDivergedException>(() => new TrajectoryMatching(net, experts, syn, "none").Run(Options(_dir, 6)));
        Assert.Equal(4, ex.Iteration);
        Assert.Contains("iteration 4", ex.Message);
        Assert.Contains("checkpoint", ex.Message);
        using var ck = DistillCheckpoint.Load(TrajectoryMatching.CheckpointFile(_dir));
        Assert.Equal(4, ck.NextIteration);
        Assert.DoesNotContain(ck.Distilled.ToArray<float>(), float.IsNaN);
    }

    /// <summary>An iteration that cannot get its memory stops the run with what to change, the checkpoint intact, and
    /// the run resumes from it once memory is there (a CPU limit set after iteration 3 stands in for a full GPU).</summary>
    [Fact]
    public void OutOfMemoryStopsWithTheRemedyAndResumesFromTheCheckpoint()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var syn = Window().ToSyntheticSet(data);
        var tight = new SyncProgress(p => { if (p.Done == 3) TensorMemory.CpuLimitBytes = TensorMemory.Of(Device.Cpu)!.Value.AllocatedBytes + 1; });
        DistillationOutOfMemoryException ex;
        try { ex = Assert.Throws<DistillationOutOfMemoryException>(() => new TrajectoryMatching(net, experts, syn, "none").Run(Options(_dir, 6), tight)); }
        finally { TensorMemory.CpuLimitBytes = null; }
        Assert.Equal(3, ex.Iteration);
        Assert.Contains("out of memory on cpu at iteration 3 (full unrolling of syn_steps 3, batch_syn 5, 12 images)", ex.Message);
        Assert.Contains("CPU out of memory: tried to allocate", ex.Message);
        Assert.Contains("\"unroll\": \"exact\"", ex.Message);
        Assert.Contains("resumes at iteration 2", ex.Message);
        Assert.True(Assert.IsType<TorchException>(ex.InnerException).IsOutOfMemory);
        Assert.Equal((DDist.Cli.ExitCodes.OutOfMemory, false), DDist.Cli.ExitCodes.For(ex));   // not reported as a bug

        using var resumed = new TrajectoryMatching(net, experts, syn, "none").Run(Options(_dir, 6));
        Assert.Equal(2, resumed.ResumedAt);
        Assert.Equal(6, resumed.Curve.Count);
    }

    [Fact]
    public void AlphaZeroIsPureSelection()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var scores = new DifficultyScores { Scores = Labels.Select((_, i) => (double)i).ToArray(), Kind = ScoreKind.CScore, Direction = HardEnd.Low, Dataset = "toy", Source = "t" };
        var w = WindowSelection.Choose(DifficultyRanking.Build(scores, Labels, Classes), 0, 4, WindowOffset.FractionOfIpc, distilledFraction: 0);
        using var syn = w.ToSyntheticSet(data);
        int readsBefore = experts.Reads;
        using var r = new TrajectoryMatching(net, experts, syn, "none").Run(Options(_dir, 5));
        Assert.Equal(0, r.IterationsRun);
        Assert.Equal(0, r.Set.DistilledCount);
        Assert.Equal(readsBefore, experts.Reads);
        Assert.Equal(w.AllIndices().Select(i => (long)i), r.Set.SourceIndex);
    }
}
