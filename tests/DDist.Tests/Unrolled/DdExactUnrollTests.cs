using System.Text.Json;
using DDist.Distillation.Unrolled;
using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Tests.Distillation;
using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>DD and soft-label DD through the exact bounded-memory reverse pass: in float64 on a small production
/// ConvNet its gradients with respect to the pixels, the raw step sizes and the label rows equal full unrolling's;
/// whole runs with either mode agree to round-off and say which one they used.</summary>
[Collection(SerialRngCollection.Name)]
public class DdExactUnrollTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int K = 3;

    /// <summary>S = 2 step batches of one image per class, E = 3 (T = 6 steps, each batch used three times), a
    /// real batch of 5; step sizes differ per step.</summary>
    private static (double Loss, Tensor[] Grads) Gradients(bool learnLabels, UnrollMode mode)
    {
        Tensors.ManualSeed(4);
        var net = ModelZoo.Create("ConvNet(width=4,depth=2)", 1, K, 8, 8);
        var w0 = net.InitParameters().To(DType.Float64);
        var d = DType.Float64;
        var images = new[] { Tensors.Randn([K, 1, 8, 8], d).RequiresGrad_(), Tensors.Randn([K, 1, 8, 8], d).RequiresGrad_() };
        using var classes = Tensors.Arange(K);
        var targets = learnLabels
            ? new[] { (classes.OneHot(K).To(d) + Tensors.Randn([K, K], d) * 0.3).RequiresGrad_(), (classes.OneHot(K).To(d) + Tensors.Randn([K, K], d) * 0.3).RequiresGrad_() }
            : [classes.OneHot(K).To(d), classes.OneHot(K).To(d)];
        var raw = Tensors.FromArray(new[] { 0.05, 0.2, 0.1, 0.15, 0.08, 0.12 }.Select(DdUnroll.RawFor).ToArray()).RequiresGrad_();
        var realX = Tensors.Randn([5, 1, 8, 8], d);
        var realY = Tensors.FromArray(new long[] { 0, 1, 2, 1, 0 });
        return DdUnroll.Gradients(net, w0, images, targets, raw, learnLabels, realX, realY, mode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExactRecomputeEqualsFullUnroll_ForPixelsStepSizesAndLabels(bool learnLabels)
    {
        using var scope = new TensorScope();
        var (fullLoss, full) = Gradients(learnLabels, UnrollMode.Full);
        var (exactLoss, exact) = Gradients(learnLabels, UnrollMode.Exact);
        Assert.Equal(learnLabels ? 5 : 3, full.Length);               // images ×2, [labels ×2], raw step sizes
        Assert.Equal(full.Length, exact.Length);
        Assert.Equal(fullLoss, exactLoss, 12);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.True(full[i].Abs().Max().Item() > 0, $"gradient {i} is zero");
            Assert.Equal(full[i].Shape, exact[i].Shape);
            output.WriteLine($"gradient {i}: exact vs full relative difference {GradientDifference.MaxRelative(exact[i], full[i]):E2}");
            Assert.True(GradientDifference.MaxRelative(exact[i], full[i]) < 1e-10, $"gradient {i}: relative difference {GradientDifference.MaxRelative(exact[i], full[i])}");
        }
    }

    [Fact]
    public void TheUnrollModeDefaultsAsTrajectoryMatchingsAndTeslaIsRefused()
    {
        Assert.Equal(UnrollMode.Exact, new DdOptions { OutputDir = "x" }.UnrollUsed);                          // T = 30
        Assert.Equal(UnrollMode.Full, new DdOptions { OutputDir = "x", DistillSteps = 1, DistillEpochs = 3 }.UnrollUsed);
        Assert.Equal(UnrollMode.Full, new DdOptions { OutputDir = "x", Unroll = UnrollMode.Full }.UnrollUsed);
        var errors = new FieldErrors();
        new DdOptions { OutputDir = "x", Unroll = UnrollMode.Tesla }.Check(errors);
        Assert.Contains(errors.All, m => m.Contains("'unroll'"));
        // Full and exact compute the same gradient: a run may switch, so the mode is not part of the checkpoint's fingerprint.
        Assert.Equal(new DdOptions { OutputDir = "x", Unroll = UnrollMode.Full }.Fingerprint(), new DdOptions { OutputDir = "x", Unroll = UnrollMode.Exact }.Fingerprint());
    }

    [Fact]
    public void SldRuns_WithExactAndFullUnrolling_AgreeToRoundOff_AndSayWhichTheyUsed()
    {
        var labels = DDist.Tests.Selection.ToyData.Interleaved(6, 3);
        using var train = DDist.Tests.Selection.ToyData.Make(labels, 3);
        using var test = DDist.Tests.Selection.ToyData.Make(labels, 3, seed: 2);
        var dirs = new[] { Directory.CreateTempSubdirectory("ddist-dd-full-").FullName, Directory.CreateTempSubdirectory("ddist-dd-exact-").FullName };
        try
        {
            DdOptions O(string dir, UnrollMode mode) => new()
            {
                Model = "MLP", DistillSteps = 2, DistillEpochs = 2, DistillLr = 0.05, Lr = 0.05, Epochs = 10, MaxIterations = 4, BatchSize = 6,
                LearnLabels = true, TestNets = 1, OutputDir = dir, Seed = 3, Unroll = mode,
            };
            using var full = new DdDistillation(train, test, "toy").Run(O(dirs[0], UnrollMode.Full)).Set;
            using var exact = new DdDistillation(train, test, "toy").Run(O(dirs[1], UnrollMode.Exact)).Set;
            Assert.True(GradientDifference.MaxRelative(exact.Images, full.Images) < 1e-4, $"images: {GradientDifference.MaxRelative(exact.Images, full.Images)}");
            Assert.True(GradientDifference.MaxRelative(exact.SoftLabels!.Values, full.SoftLabels!.Values) < 1e-4);
            for (int t = 0; t < 4; t++) Assert.Equal(full.Steps!.Lrs[t], exact.Steps!.Lrs[t], 5);
            string Gradient(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json"))).RootElement.GetProperty("gradient").GetString()!;
            Assert.Equal("full unrolling", Gradient(dirs[0]));
            Assert.StartsWith("exact recomputation", Gradient(dirs[1]));
            Assert.Equal("exact", exact.Info.Parameters["unroll"]);
        }
        finally
        {
            foreach (var d in dirs) Directory.Delete(d, true);
        }
    }
}
