using System.Text.Json;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Distillation.Unrolling;
using DDist.Tests.Distillation;
using DDist.Tests.Selection;
using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>DATM (learned label logits) and TESLA-labelled matching through the exact bounded-memory reverse pass:
/// in float64 its gradients with respect to the images, α and the label logits equal full unrolling's, augmentation
/// drawn from the generator included; a whole run in exact mode says so.</summary>
[Collection(SerialRngCollection.Name)]
public class SoftLabelUnrollTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-datm-unroll-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Classes = 3;
    private static readonly long[] Labels = ToyData.Interleaved(6, Classes);

    private static SyntheticSet Synthetic(DDist.Data.ImageDataset data) =>
        SyntheticSet.FromIndices(data, Enumerable.Range(0, Classes).Select(c => Enumerable.Range(0, 18).Where(i => Labels[i] == c).Take(2).ToArray()).ToArray(),
                                 Enumerable.Range(0, Classes).Select(_ => Array.Empty<int>()).ToArray(), 2);

    private TrajectoryMatchingOptions Options(UnrollMode mode, int iterations = 1) => new()
    {
        Iterations = iterations, SynSteps = 4, BatchSyn = 4, ExpertEpochs = 2, MaxStartEpoch = 2, LrImg = 100, LrLr = 1e-3,
        LrInit = 0.05, Seed = 11, OutputDir = _dir, Method = "datm", Unroll = mode,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExactRecomputeEqualsFullUnroll_ForImagesStepSizeAndLabelLogits(bool learnLabels)
    {
        using var data = ToyData.Make(Labels, Classes);
        var net32 = new TinyNet(1, Classes, 4, 4);
        using var experts = InMemoryTrajectories.Train(net32, data, experts: 1, epochs: 2, stepsPerEpoch: 1, lr: 0.5, seed: 5);
        using var syn = Synthetic(data);
        using var scope = new TensorScope();
        var net = new TinyNet(1, Classes, 4, 4, DType.Float64);
        // Non-Siamese jitter drawn from libtorch's generator: the exact pass must replay it per step.
        Func<Tensor, Tensor> jitter = x => x + Tensors.Randn(x.Shape, x.DType) * 0.05;
        var matching = new SoftLabelMatching(net, experts, syn, "toy", jitter);
        Tensors.ManualSeed(2);
        var theta0 = net.InitParameters();
        var target = theta0 + Tensors.Randn(theta0.Shape, DType.Float64) * 0.1;
        var images = Tensors.Randn([6, 1, 4, 4], DType.Float64).RequiresGrad_();
        var logits = (Tensors.Randn([6, Classes], DType.Float64) * 2).RequiresGrad_();
        var lr = Tensors.Scalar(0.3, DType.Float64).RequiresGrad_();

        (double, Tensor[]) Grads(UnrollMode mode)
        {
            Tensors.ManualSeed(7);                                     // the same batches and draws for both modes
            return matching.Gradients(images, logits, lr, theta0, target, Options(mode), learnLabels);
        }
        var (fullLoss, full) = Grads(UnrollMode.Full);
        var (exactLoss, exact) = Grads(UnrollMode.Exact);
        Assert.Equal(learnLabels ? 3 : 2, full.Length);
        Assert.Equal(full.Length, exact.Length);
        Assert.Equal(fullLoss, exactLoss, 12);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.True(full[i].Abs().Max().Item() > 0, $"gradient {i} is zero");
            output.WriteLine($"gradient {i}: exact vs full relative difference {GradientDifference.MaxRelative(exact[i], full[i]):E2}");
            Assert.True(GradientDifference.MaxRelative(exact[i], full[i]) < 1e-10, $"gradient {i}: relative difference {GradientDifference.MaxRelative(exact[i], full[i])}");
        }
    }

    [Fact]
    public void DatmRun_InExactMode_LearnsAndSaysSo()
    {
        using var data = ToyData.Make(Labels, Classes);
        var net = new TinyNet(1, Classes, 4, 4);
        using var experts = InMemoryTrajectories.Train(net, data, experts: 2, epochs: 4, stepsPerEpoch: 4, lr: 0.5, seed: 5);
        using var syn = Synthetic(data);
        using var before = syn.Distilled.Detach().Clone();
        var s = new SoftLabelMatchingOptions { Range = new MatchingRange(0, 2), Threshold = 100 };
        var r = new SoftLabelMatching(net, experts, syn, "toy").Run(Options(UnrollMode.Exact, iterations: 2), s);
        using var set = r.Set;
        Assert.Equal(2, r.Updates);
        Assert.True(set.Images.Sub(before).Abs().Max().Item() > 1e-6);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "distill.json"))).RootElement;
        Assert.Equal("exact", json.GetProperty("gradient").GetString());
    }
}
