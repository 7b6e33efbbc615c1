using DDist.Distillation.Unrolled;
using DDist.Tests.Distillation;
using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>DD / soft-label DD's gradient in float64 against central finite differences, with respect to each kind of
/// learned state: the per-step raw step sizes r (α = softplus r), the raw label rows and the pixels.</summary>
[Collection(SerialRngCollection.Name)]
public class DdGradientTests
{
    private const int K = 3;

    private sealed record Problem(TinyNet Net, Tensor W0, Tensor X0, Tensor X1, Tensor Y0, Tensor Y1, Tensor R, Tensor RealX, Tensor RealY)
    {
        public Tensor Loss(Tensor? x0 = null, Tensor? y1 = null, Tensor? r = null) =>
            DdUnroll.Loss(Net, W0, [x0 ?? X0, X1], [Y0, y1 ?? Y1], DdUnroll.StepSizes(r ?? R), RealX, RealY);
    }

    private static Problem Make()
    {
        Tensors.ManualSeed(3);
        var net = new TinyNet(1, K, 6, 6, DType.Float64);
        var d = DType.Float64;
        return new Problem(net, net.InitParameters(), Tensors.Randn([3, 1, 6, 6], d), Tensors.Randn([3, 1, 6, 6], d),
            Tensors.Randn([3, K], d), Tensors.Randn([3, K], d), Tensors.FromArray(new double[] { -1, 0.2, -0.4, 0.5, -2, 0.1 }),
            Tensors.Randn([4, 1, 6, 6], d), Tensors.FromArray(new long[] { 0, 1, 2, 1 }));
    }

    [Fact]
    public void StepSizeGradient_MatchesFiniteDifferences()
    {
        using var scope = new TensorScope();
        var p = Make();
        FiniteDifference.AssertGradientMatches(r => p.Loss(r: r), p.R, samples: 6);
    }

    [Fact]
    public void LabelGradient_MatchesFiniteDifferences()
    {
        using var scope = new TensorScope();
        var p = Make();
        FiniteDifference.AssertGradientMatches(y => p.Loss(y1: y), p.Y1, samples: 9);
    }

    [Fact]
    public void ImageGradient_MatchesFiniteDifferences()
    {
        using var scope = new TensorScope();
        var p = Make();
        FiniteDifference.AssertGradientMatches(x => p.Loss(x0: x), p.X0, samples: 12);
    }

    [Fact]
    public void StepSizes_AreSoftplusAndStartAtTheInitialStepSize()
    {
        using var scope = new TensorScope();
        var r = Tensors.FromArray(new double[] { DdUnroll.RawFor(0.02), DdUnroll.RawFor(0.001), -3, 4 });
        var a = DdUnroll.StepSizes(r).ToArray<double>();
        Assert.Equal(0.02, a[0], 12);
        Assert.Equal(0.001, a[1], 12);
        Assert.Equal(Math.Log(1 + Math.Exp(-3)), a[2], 12);
        Assert.Equal(Math.Log(1 + Math.Exp(4)), a[3], 12);
    }

    [Fact]
    public void StepLr_DecaysOnePassEarly_AsTheReferenceSchedulerDoes()
    {
        var o = new DdOptions { OutputDir = "unused", Lr = 0.01, DecayEpochs = 40, DecayFactor = 0.5 };
        Assert.Equal(0.01, o.LrAtPass(0));
        Assert.Equal(0.01, o.LrAtPass(38));
        Assert.Equal(0.005, o.LrAtPass(39));
        Assert.Equal(0.0025, o.LrAtPass(79));
    }
}

/// <summary>A whole (tiny) soft-label DD run: it learns images, labels and step sizes, saves a v2 set with its learned
/// steps and evaluates with them.</summary>
[Collection(SerialRngCollection.Name)]
public class DdRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-dd-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three classes of six 4×4 images to distil, and a test set drawn alike.</summary>
    private static (DDist.Data.ImageDataset Train, DDist.Data.ImageDataset Test) ToyData()
    {
        var labels = DDist.Tests.Selection.ToyData.Interleaved(6, 3);
        return (DDist.Tests.Selection.ToyData.Make(labels, 3), DDist.Tests.Selection.ToyData.Make(labels, 3, seed: 2));
    }

    /// <summary>A seconds-long DD run of an MLP on <see cref="ToyData"/>.</summary>
    private DdOptions Tiny() => new()
    {
        Model = "MLP", DistillSteps = 2, DistillEpochs = 2, DistillLr = 0.05, Lr = 0.05, Epochs = 10, MaxIterations = 6, BatchSize = 6,
        TestNets = 2, OutputDir = _dir, Seed = 3,
    };

    [Fact]
    public void SldRun_LearnsImagesLabelsAndSteps_AndSavesThem()
    {
        var (train, test) = ToyData();
        using var _train = train; using var _test = test;
        var o = Tiny() with { LearnLabels = true };
        var r = new DdDistillation(train, test, "toy").Run(o);
        using var set = r.Set;
        Assert.Equal(6, r.Curve.Count);
        Assert.Equal(4, set.Steps!.StepCount);
        Assert.Equal(2, set.Steps.ImageSteps);
        Assert.All(set.Steps.Lrs, a => Assert.NotEqual(0.05, a, 6));
        Assert.Equal([6L, 3L], set.SoftLabels!.Values.Shape);
        using (var scope = new TensorScope())
        {
            var oneHot = set.Labels.OneHot(3).To(DType.Float32);
            Assert.True(set.SoftLabels.Values.Sub(oneHot).Abs().Max().Item() > 1e-4, "the label rows must have learned");
        }
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2 }, set.Labels.ToArray<long>());
        Assert.Equal(2, r.After.Accuracies.Length);
        using var back = DDist.Artifacts.SmallSet.Load(Path.Combine(_dir, "synthetic.safetensors"));
        Assert.Equal(set.Steps.Lrs, back.Steps!.Lrs);
        Assert.True(File.Exists(Path.Combine(_dir, "distill.json")));

        // Each test network's accuracies are kept as it finishes: a rerun of the finished folder trains none again
        // (same numbers, files untouched), and one whose result is lost is the only one trained again.
        var kept = Path.Combine(_dir, "eval", "learned", "net-1.json");
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(_dir, "eval", "step0", "net-0.json"));
        File.Delete(kept);
        var again = new DdDistillation(train, test, "toy").Run(o);
        using var againSet = again.Set;
        Assert.Equal(r.After.Accuracies, again.After.Accuracies);
        Assert.Equal(r.Before.Accuracies, again.Before.Accuracies);
        Assert.Equal(r.After.Std, again.After.Std);
        Assert.True(File.Exists(kept));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(_dir, "eval", "step0", "net-0.json")));
        // DD reports the unbiased std over its networks.
        double mean = r.After.Accuracies.Average();
        Assert.Equal(Math.Sqrt(r.After.Accuracies.Sum(a => (a - mean) * (a - mean)) / 1), r.After.Std, 12);
    }

    /// <summary>A known-init set keeps the one starting point its steps were learned for (tensor step_init), so evaluating
    /// the saved file later gives the run's own numbers; it used to keep none, and fresh networks scored at chance.</summary>
    [Fact]
    public void AKnownInitSetKeepsItsStartingWeightsAndEvaluatesFromThem()
    {
        var (train, test) = ToyData();
        using var _train = train; using var _test = test;
        var r = new DdDistillation(train, test, "toy").Run(Tiny() with { Init = DdInit.Known });
        using var set = r.Set;
        using var back = DDist.Artifacts.SmallSet.Load(Path.Combine(_dir, "synthetic.safetensors"));
        var init = back.Steps!.FixedInit;
        Assert.NotNull(init);
        Assert.Equal(DDist.Models.ModelZoo.Create("MLP", train.Channels, 3, train.Height, train.Width).ParameterCount, init.Length);
        using var w = Tensors.FromArray(init);
        var (before, after) = DDist.Evaluation.LearnedStepsEvaluator.Evaluate(back, test, "MLP", 2, 1.0, w, 1000);
        Assert.Equal(r.After.Accuracies, after.Accuracies);
        Assert.Equal(r.Before.Accuracies, before.Accuracies);
        Assert.Equal(0, after.Diverged);

        // The same images with step sizes no network survives: every network's weights end non-finite, and it is said.
        using var blown = new DDist.Artifacts.SmallSet
        {
            Images = back.Images.Clone(), Labels = back.Labels.Clone(), IsDistilled = back.IsDistilled, SourceIndex = back.SourceIndex,
            SoftLabels = back.SoftLabels, Info = back.Info, Steps = back.Steps with { Lrs = back.Steps.Lrs.Select(_ => 1e30).ToArray() },
        };
        var (_, wild) = DDist.Evaluation.LearnedStepsEvaluator.Evaluate(blown, test, "MLP", 2, 1.0, w, 1000);
        Assert.Equal(2, wild.Diverged);
        Assert.EndsWith("(2 of 2 diverged)", wild.Percent());
    }
}

/// <summary>An interrupted DD run continues bit for bit from its checkpoint, also from the middle of a pass.</summary>
[Collection(SerialRngCollection.Name)]
public class DdResumeTests
{
    [Fact]
    public void StoppedAndResumed_EqualsOneRun()
    {
        var labels = DDist.Tests.Selection.ToyData.Interleaved(6, 3);
        using var train = DDist.Tests.Selection.ToyData.Make(labels, 3);
        using var test = DDist.Tests.Selection.ToyData.Make(labels, 3, seed: 2);
        var a = Directory.CreateTempSubdirectory("ddist-dd-a-").FullName;
        var b = Directory.CreateTempSubdirectory("ddist-dd-b-").FullName;
        try
        {
            DdOptions O(string dir, int max) => new()
            {
                Model = "MLP", DistillSteps = 1, DistillEpochs = 2, DistillLr = 0.05, Lr = 0.05, Epochs = 10, MaxIterations = max, BatchSize = 4,
                LearnLabels = true, TestNets = 1, OutputDir = dir, Seed = 3, CheckpointEvery = 0,
            };
            using var once = new DdDistillation(train, test, "toy").Run(O(a, 7)).Set;
            double Kept()   // the seconds the checkpoint says the run has taken, over every process so far
            {
                using var f = DDist.Torch.IO.SafeTensorsFile.Open(Path.Combine(b, "checkpoint.safetensors"));
                return f.MetadataNumber("seconds") ?? throw new InvalidDataException("checkpoint without 'seconds'");
            }
            new DdDistillation(train, test, "toy").Run(O(b, 2)).Set.Dispose();        // stops mid-pass (18 images, batches of 4)
            double first = Kept();
            new DdDistillation(train, test, "toy").Run(O(b, 5)).Set.Dispose();        // stops at the end of pass 1
            double second = Kept();
            var resumed = new DdDistillation(train, test, "toy").Run(O(b, 7));
            using var twice = resumed.Set;
            // The time of the whole run adds up the processes that made it.
            Assert.True(first > 0 && second > first && Kept() > second && resumed.Elapsed.TotalSeconds >= Kept(), $"{first} {second} {Kept()} {resumed.Elapsed}");
            Assert.Equal(7, resumed.Curve.Count);
            Assert.Equal(once.Images.ToArray<float>(), twice.Images.ToArray<float>());
            Assert.Equal(once.SoftLabels!.Values.ToArray<float>(), twice.SoftLabels!.Values.ToArray<float>());
            Assert.Equal(once.Steps!.Lrs, twice.Steps!.Lrs);
            var changed = O(b, 8) with { Lr = 0.01 };
            var e = Assert.Throws<InvalidDataException>(() => new DdDistillation(train, test, "toy").Run(changed));
            Assert.Contains("'fingerprint'", e.Message);
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }
}
