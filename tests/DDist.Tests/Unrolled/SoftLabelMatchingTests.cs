using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Evaluation;
using DDist.Tests.Distillation;
using DDist.Tests.Selection;
using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>DATM's schedule, label initialisation, threshold rule and TESLA's teacher labels on a toy problem.</summary>
[Collection(SerialRngCollection.Name)]
public class SoftLabelMatchingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-datm-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Classes = 3;
    private static readonly long[] Labels = ToyData.Interleaved(6, Classes);

    private static (ImageDataset, TinyNet, InMemoryTrajectories) Setup()
    {
        var data = ToyData.Make(Labels, Classes);
        var net = new TinyNet(1, Classes, 4, 4);
        var experts = InMemoryTrajectories.Train(net, data, experts: 2, epochs: 4, stepsPerEpoch: 4, lr: 0.5, seed: 5);
        return (data, net, experts);
    }

    private TrajectoryMatchingOptions Options(int iterations) => new()
    {
        Iterations = iterations, SynSteps = 3, ExpertEpochs = 2, MaxStartEpoch = 2, LrImg = 100, LrLr = 1e-3,
        LrInit = 0.05, Seed = 11, OutputDir = _dir, Method = "datm",
    };

    [Fact]
    public void SequentialRange_GrowsLinearlyFromCurrentToMax_ThenStays()
    {
        var r = new MatchingRange(0, 20, Sequential: true, CurrentMax: 10, ExpansionEnd: 1000);
        Assert.Equal(10, r.UpperBound(0));
        Assert.Equal(15, r.UpperBound(500));
        Assert.Equal(20, r.UpperBound(1000));
        Assert.Equal(20, r.UpperBound(5000));
        Assert.Equal(20, new MatchingRange(0, 20).UpperBound(0));
        var rng = new Random(1);
        var draws = Enumerable.Range(0, 500).Select(_ => r.Draw(rng, 0)).ToArray();
        Assert.Equal(0, draws.Min());
        Assert.Equal(9, draws.Max());
    }

    [Fact]
    public void RangeAndLabelOptions_NameTheBadField()
    {
        var bad = new SoftLabelMatchingOptions { Range = new MatchingRange(3, 2), LrY = 0, Threshold = -1 }.Check(expertEpochs: 10, matchEpochs: 2);
        Assert.Contains(bad, m => m.Contains("'maxStartEpoch'"));
        Assert.Contains(bad, m => m.Contains("'lrY'"));
        Assert.Contains(bad, m => m.Contains("'threshold'"));
        var tooLate = new MatchingRange(0, 10).Check(expertEpochs: 10, matchEpochs: 2);
        Assert.Contains(tooLate, m => m.Contains("'maxStartEpoch'") && m.Contains("11"));
        var seq = new MatchingRange(0, 10, Sequential: true, CurrentMax: 0, ExpansionEnd: 0).Check(20, 2);
        Assert.Contains(seq, m => m.Contains("'currentMaxStartEpoch'"));
        Assert.Contains(seq, m => m.Contains("'expansionEndEpoch'"));
    }

    [Fact]
    public void LabelInit_AveragesOnlyCorrectExperts_AndGuardsTheNoCorrectExpertCase()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var scope = new TensorScope();
        var finals = new[] { experts.Read(0, 4), experts.Read(1, 4) };
        var x = data.Images.Narrow(0, 0, 6);
        var classes = data.Labels.Narrow(0, 0, 6);
        var (logits, uncovered) = ExpertLabels.MeanOfCorrectExperts(net, finals, x, classes);
        var z = finals.Select(f => ExpertLabels.Logits(net, f, x).ToArray<float>()).ToArray();
        var c = classes.ToArray<long>();
        var got = logits.ToArray<float>();
        int expectUncovered = 0;
        for (int i = 0; i < 6; i++)
        {
            var right = Enumerable.Range(0, 2).Where(e => ArgMax(z[e], i) == c[i]).ToArray();
            var use = right.Length > 0 ? right : [0, 1];
            if (right.Length == 0) expectUncovered++;
            for (int k = 0; k < Classes; k++)
                Assert.Equal(use.Average(e => z[e][i * Classes + k]), got[i * Classes + k], 5);
        }
        Assert.Equal(expectUncovered, uncovered);
        Assert.True(logits.IsFinite().All());
        // An image no expert gets right (its "class" is the one every expert ranks last) falls back to the mean.
        var last = Tensors.FromArray(Enumerable.Range(0, 6).Select(i => (long)ArgMin(z[0], z[1], i)).ToArray());
        var (guarded, none) = ExpertLabels.MeanOfCorrectExperts(net, finals, x, last);
        Assert.Equal(6, none);
        Assert.True(guarded.IsFinite().All());
    }

    private static int ArgMax(float[] z, int i) => Enumerable.Range(0, Classes).MaxBy(k => z[i * Classes + k]);
    /// <summary>A class neither expert predicts for image i (three classes, two experts: one always exists).</summary>
    private static int ArgMin(float[] a, float[] b, int i) => Enumerable.Range(0, Classes).First(k => k != ArgMax(a, i) && k != ArgMax(b, i));

    [Fact]
    public void PredictedCorrectly_KeepsOnlyImagesTheExpertGetsRight_AndRejectsIpcLargerThanAClass()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var scope = new TensorScope();
        var finals = new[] { experts.Read(0, 4), experts.Read(1, 4) };
        var e = Assert.Throws<ArgumentException>(() => ExpertLabels.PredictedCorrectly(net, finals, data, 7, new Random(1)));
        Assert.Contains("'ipc'", e.Message);
        var pred0 = ExpertLabels.Logits(net, finals[0], data.Images).ArgMax(1).ToArray<long>();
        var pred1 = ExpertLabels.Logits(net, finals[1], data.Images).ArgMax(1).ToArray<long>();
        var chosen = ExpertLabels.PredictedCorrectly(net, finals, data, 1, new Random(1));
        for (int c = 0; c < Classes; c++)
        {
            Assert.Single(chosen[c]);
            int i = chosen[c][0];
            Assert.Equal(c, Labels[i]);
            Assert.True(pred0[i] == c || pred1[i] == c);
        }
    }

    private SyntheticSet Synthetic(ImageDataset data) =>
        SyntheticSet.FromIndices(data, Enumerable.Range(0, Classes).Select(c => Enumerable.Range(0, 18).Where(i => Labels[i] == c).Take(2).ToArray()).ToArray(),
                                 Enumerable.Range(0, Classes).Select(_ => Array.Empty<int>()).ToArray(), 2);

    [Fact]
    public void Datm_LearnsLabelsAndImages_AndSavesLogits()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var syn = Synthetic(data);
        using var before = syn.Distilled.Detach().Clone();
        var s = new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2), Threshold = 100, LrY = 2 };
        var r = new SoftLabelMatching(net, experts, syn, "toy").Run(Options(3), s);
        using var set = r.Set;
        Assert.Equal(3, r.Updates);
        Assert.Equal(SoftLabelKind.Logits, set.SoftLabels!.Kind);
        Assert.Equal("datm", set.SoftLabels.Source);
        // The saved logits moved away from their expert initialisation.
        var finals = new[] { experts.Read(0, 4), experts.Read(1, 4) };
        var (init, _) = ExpertLabels.MeanOfCorrectExperts(net, finals, before, syn.Labels);
        Assert.True(set.SoftLabels.Values.Sub(init).Abs().Max().Item() > 1e-6);
        Assert.True(set.Images.Sub(before).Abs().Max().Item() > 1e-6);
        using var back = SmallSet.Load(Path.Combine(_dir, "synthetic.safetensors"));
        Assert.Equal(set.SoftLabels.Values.ToArray<float>(), back.SoftLabels!.Values.ToArray<float>());
        foreach (var f in finals) f.Dispose();
        init.Dispose();
    }

    [Fact]
    public void Datm_LabelInit_FromAllCorrectExperts_OrFromExpertZeroAlone()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var scope = new TensorScope();
        var finals = new[] { experts.Read(0, 4), experts.Read(1, 4) };
        foreach (var first in new[] { false, true })
        {
            using var syn = Synthetic(data);
            var s = new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2), FirstExpertLabels = first };
            using var set = new SoftLabelMatching(net, experts, syn, "toy").Run(Options(0) with { Resume = false }, s).Set;
            var (expected, _) = ExpertLabels.MeanOfCorrectExperts(net, first ? finals[..1] : finals, syn.Distilled, syn.Labels);
            Assert.True(set.SoftLabels!.Values.Sub(expected).Abs().Max().Item() < 1e-6, $"first expert only: {first}");
        }
        var (all, _) = ExpertLabels.MeanOfCorrectExperts(net, finals, data.Images.Narrow(0, 0, 6), data.Labels.Narrow(0, 0, 6));
        var (one, _) = ExpertLabels.MeanOfCorrectExperts(net, finals[..1], data.Images.Narrow(0, 0, 6), data.Labels.Narrow(0, 0, 6));
        Assert.True(all.Sub(one).Abs().Max().Item() > 1e-4, "the two initialisations must differ for the test to mean anything");
    }

    [Fact]
    public void Datm_StoppedAndResumed_EqualsOneRun()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var s = new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2), Threshold = 0.9 };
        Func<Tensor, Tensor> jitter = x => x + Tensors.Randn(x.Shape, x.DType) * 0.01;      // draws from the generator too
        SmallSet RunTo(string dir, int iterations)
        {
            using var syn = Synthetic(data);
            return new SoftLabelMatching(net, experts, syn, "toy", jitter).Run(Options(iterations) with { OutputDir = dir }, s).Set;
        }
        var other = Directory.CreateTempSubdirectory("ddist-datm-b-").FullName;
        try
        {
            using var once = RunTo(_dir, 4);
            double Kept()   // the seconds the checkpoint says the run has taken, over every process so far
            {
                using var f = DDist.Torch.IO.SafeTensorsFile.Open(Path.Combine(other, "checkpoint.safetensors"));
                return f.MetadataNumber("seconds") ?? throw new InvalidDataException("checkpoint without 'seconds'");
            }
            RunTo(other, 2).Dispose();
            double first = Kept();
            using var resumed = RunTo(other, 4);
            double reported = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(other, "distill.json"))).RootElement.GetProperty("seconds").GetDouble();
            Assert.True(first > 0 && Kept() > first && reported >= Kept(), $"{first} {Kept()} {reported}");   // both processes' time
            Assert.Equal(once.Images.ToArray<float>(), resumed.Images.ToArray<float>());
            Assert.Equal(once.SoftLabels!.Values.ToArray<float>(), resumed.SoftLabels!.Values.ToArray<float>());
            Assert.Equal(once.LearnedLr, resumed.LearnedLr);
        }
        finally { Directory.Delete(other, true); }
    }

    [Fact]
    public void Datm_AboveTheThreshold_SkipsEveryUpdate()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var syn = Synthetic(data);
        using var before = syn.Distilled.Detach().Clone();
        var s = new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2), Threshold = 1e-9 };
        var r = new SoftLabelMatching(net, experts, syn, "toy").Run(Options(2), s);
        using var set = r.Set;
        Assert.Equal(2, r.Skipped);
        Assert.Equal(0, r.Updates);
        Assert.Equal(before.ToArray<float>(), set.Images.ToArray<float>());
        Assert.Equal(0.05, set.LearnedLr!.Value, 6);
    }

    [Fact]
    public void Tesla_TeacherLabels_AreTheTargetExpertsSoftmax_AndAreNotLearned()
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        using var syn = Synthetic(data);
        var s = new SoftLabelMatchingOptions { Labels = LabelSource.Teacher, Range = new MatchingRange(0, 2), Threshold = 100 };
        var r = new SoftLabelMatching(net, experts, syn, "toy").Run(Options(1) with { Method = "tesla" }, s);
        using var set = r.Set;
        Assert.Equal("tesla", set.SoftLabels!.Source);
        // The stored logits are the iteration's target expert on the images as they were before the update.
        var rng = IterationRandom.For(11, 0);
        int expert = rng.Next(2);
        int t = rng.Next(0, 2);
        using var scope = new TensorScope();
        var before = data.Images.IndexSelect(0, Tensors.FromArray(syn.SourceIndex));
        var expected = ExpertLabels.Logits(net, experts.Read(expert, t + 2), before);
        Assert.True(set.SoftLabels.Values.Sub(expected).Abs().Max().Item() < 1e-5);
    }

    /// <summary>A stand-in for the validation networks: scores each evaluated set by a script keyed by its iteration,
    /// keeps what it was shown, and draws from libtorch's generator as real training would.</summary>
    private sealed class ScriptedSelection(Dictionary<int, double> accuracy)
    {
        public readonly Dictionary<int, (float[] Images, float[] Logits, double Lr)> Seen = [];

        public EvalResult Evaluate(SmallSet set, EvalBudget budget, int seed, CancellationToken ct)
        {
            int it = int.Parse(set.Info.Parameters["kept_iteration"], System.Globalization.CultureInfo.InvariantCulture);
            Seen[it] = (set.Images.ToArray<float>(), set.SoftLabels?.Values.ToArray<float>() ?? [], set.LearnedLr!.Value);
            using (Tensors.Randn([16], DType.Float32)) { }
            double a = accuracy[it];
            return new EvalResult(a, 0.01, [a], Diverged: it == 4 ? 1 : 0);
        }
    }

    private sealed class SyncProgress(Action<ProgressReport> onReport) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => onReport(value);
    }

    [Theory]
    [InlineData(LabelSource.Learned)]
    [InlineData(LabelSource.Teacher)]
    public void BestIteration_KeepsTheImagesLabelsAndStepSizeItScoredBest_ThroughAResume(LabelSource labels)
    {
        var (data, net, experts) = Setup();
        using var _d = data; using var _e = experts;
        var s = new SoftLabelMatchingOptions { Labels = labels, Range = new MatchingRange(0, 2), Threshold = 100 };
        var scores = new Dictionary<int, double> { [0] = 0.40, [2] = 0.75, [4] = 0.60 };
        var o = Options(4) with { EvalIterations = [0, 2, 4], EvalBudget = new EvalBudget(5, 1), CheckpointEvery = 1, Method = labels == LabelSource.Learned ? "datm" : "tesla" };
        SoftLabelMatchingResult RunIn(string dir, ScriptedSelection? choose, CancellationToken ct = default, IProgress<ProgressReport>? progress = null)
        {
            using var syn = Synthetic(data);
            Func<Tensor, Tensor> jitter = x => x + Tensors.Randn(x.Shape, x.DType) * 0.01;   // the run draws from the generator too
            return new SoftLabelMatching(net, experts, syn, "toy", jitter, choose is null ? null : choose.Evaluate)
                .Run(o with { OutputDir = dir, EvalIterations = choose is null ? [] : o.EvalIterations }, s, ct, progress);
        }
        var whole = new ScriptedSelection(scores);
        var r = RunIn(_dir, whole);
        using var set = r.Set;
        Assert.Equal(2, r.KeptIteration);
        Assert.Equal([0, 2, 4], r.SelectionCurve.Select(p => p.Iteration));
        Assert.Equal(1, r.SelectionCurve[^1].Diverged);
        var kept = whole.Seen[2];
        Assert.Equal(kept.Images, set.Images.ToArray<float>());
        Assert.Equal(kept.Logits, set.SoftLabels!.Values.ToArray<float>());
        Assert.Equal(kept.Lr, set.LearnedLr);
        Assert.NotEqual(whole.Seen[4].Images, kept.Images);   // the run went on past the kept iteration
        // TESLA has no teacher before its first iteration: its set at 0 keeps hard labels; DATM's starts from the experts'.
        Assert.Equal(labels == LabelSource.Teacher, whole.Seen[0].Logits.Length == 0);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "distill.json"))).RootElement;
        Assert.Equal(2, summary.GetProperty("best_iteration").GetInt32());
        Assert.Equal(3, summary.GetProperty("selection_curve").GetArrayLength());
        Assert.Equal(0.75, summary.GetProperty("selection_accuracy").GetProperty("Mean").GetDouble());

        var other = Directory.CreateTempSubdirectory("ddist-datm-best-").FullName;
        var plain = Directory.CreateTempSubdirectory("ddist-datm-plain-").FullName;
        try
        {
            // Stopped after iteration 3 (evaluations at 0 and 2 kept in the checkpoint), then resumed: the same set, the
            // same curve, and only the evaluation at 4 made by the second process.
            var first = new ScriptedSelection(scores);
            using (var cts = new CancellationTokenSource())
                Assert.ThrowsAny<OperationCanceledException>(() => RunIn(other, first, cts.Token, new SyncProgress(p => { if (p.Done == 3) cts.Cancel(); })));
            Assert.Equal([0, 2], first.Seen.Keys.Order());
            var second = new ScriptedSelection(scores);
            using var resumed = RunIn(other, second).Set;
            Assert.Equal([4], second.Seen.Keys);
            Assert.Equal(set.Images.ToArray<float>(), resumed.Images.ToArray<float>());
            Assert.Equal(set.SoftLabels.Values.ToArray<float>(), resumed.SoftLabels!.Values.ToArray<float>());
            Assert.Equal(summary.GetProperty("selection_curve").ToString(),
                         System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(other, "distill.json"))).RootElement.GetProperty("selection_curve").ToString());
            // Evaluating never moves the run's random stream: without evaluations the final images are the ones scored at 4.
            using var unevaluated = RunIn(plain, null).Set;
            Assert.Equal(whole.Seen[4].Images, unevaluated.Images.ToArray<float>());
            Assert.False(System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(plain, "distill.json"))).RootElement.TryGetProperty("best_iteration", out _));
        }
        finally { Directory.Delete(other, true); Directory.Delete(plain, true); }
    }

    [Fact]
    public void SoftLabelMatching_WithoutExperts_FailsBeforeAnyWork()
    {
        var data = ToyData.Make(Labels, Classes);
        using var _d = data;
        using var syn = Synthetic(data);
        var none = new EmptyTrajectories();
        var e = Assert.Throws<ArgumentException>(() => new SoftLabelMatching(new TinyNet(1, Classes, 4, 4), none, syn, "toy")
            .Run(Options(1), new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2) }));
        Assert.Contains("no expert trajectories", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "synthetic.safetensors")));
    }

    private sealed class EmptyTrajectories : IExpertTrajectories
    {
        public int ExpertCount => 0;
        public int EpochCount => 10;
        public Tensor Read(int expert, int epoch) => throw new InvalidOperationException("no experts");
    }
}

internal static class TensorTestExtensions
{
    public static bool All(this Tensor t) { using var s = new TensorScope(); return t.LogicalNot().Sum().Item() == 0; }
}
