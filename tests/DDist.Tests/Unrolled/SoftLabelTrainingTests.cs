using DDist.Artifacts;
using DDist.Models;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Training;

namespace DDist.Tests.Unrolled;

/// <summary>Soft labels as part of a small set: soft cross-entropy, training on soft targets, the set format.</summary>
[Collection(SerialRngCollection.Name)]
public class SoftLabelTrainingTests
{
    [Fact]
    public void SoftCrossEntropy_IsMinusSumOfTargetTimesLogSoftmax_AndAgreesWithLibtorchOnProbabilities()
    {
        using var scope = new TensorScope();
        var z = Tensors.FromArray(new double[] { 1, 2, 0.5, -1, 0, 3 }, 2, 3);
        var y = Tensors.FromArray(new double[] { 0.2, 0.7, 0.1, 0.5, 0.25, 0.25 }, 2, 3);
        double expected = 0;
        var zs = z.ToArray<double>();
        var ys = y.ToArray<double>();
        for (int i = 0; i < 2; i++)
        {
            double lse = Math.Log(Enumerable.Range(0, 3).Sum(k => Math.Exp(zs[3 * i + k])));
            expected += -Enumerable.Range(0, 3).Sum(k => ys[3 * i + k] * (zs[3 * i + k] - lse)) / 2;
        }
        Assert.Equal(expected, SoftCrossEntropy.Loss(z, y).Item(), 12);
        Assert.Equal(expected, Functional.CrossEntropy(z, y).Item(), 12);
    }

    [Fact]
    public void Trainer_OnOneHotTargets_EqualsHardLabels_AndOnSoftTargetsTakesTheSoftGradientStep()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(5);
        var net = new TinyNet(1, 3, 6, 6, DType.Float64);
        var x = Tensors.Randn([4, 1, 6, 6], DType.Float64);
        var y = Tensors.FromArray(new long[] { 0, 1, 2, 1 });
        var soft = Tensors.Randn([4, 3], DType.Float64).Softmax(1);
        var w0 = net.InitParameters();
        var options = new TrainOptions { Epochs = 1, BatchSize = 4, LearningRate = 0.5, Momentum = 0, WeightDecay = 0, Stage = "test" };
        Tensor TrainOn(Tensor? targets)
        {
            using var state = new TrainingState(w0.Clone(), NetState.Empty, new Sgd());
            new Trainer(net, options).Train(state, new TrainingSet(x, y, null, targets));
            return state.Parameters.Detach().Clone();
        }
        var hard = TrainOn(null);
        var oneHot = TrainOn(y.OneHot(3).To(DType.Float64));
        var softW = TrainOn(soft);
        Assert.True(hard.Sub(oneHot).Abs().Max().Item() < 1e-12, "one-hot targets must train exactly like hard labels");
        // One batch, plain SGD: w₁ = w₀ − lr ∇ SoftCE(f(x; w₀), p), computed independently here.
        var w = w0.Clone().RequiresGrad_();
        var g = Autograd.Grad(SoftCrossEntropy.Loss(net.Forward(x, w, null, true), soft), w);
        var expected = w0 - g * 0.5;
        Assert.True(softW.Sub(expected).Abs().Max().Item() < 1e-12);
        Assert.True(softW.Sub(hard).Abs().Max().Item() > 1e-6, "soft targets must change the step");
    }

    private static SmallSet Set(Tensor? soft, SoftLabelKind kind = SoftLabelKind.Logits, LearnedSteps? steps = null) => new()
    {
        Images = Tensors.Randn([4, 1, 6, 6]).DetachFromScope(), Labels = Tensors.FromArray(new long[] { 0, 1, 2, 0 }).DetachFromScope(),
        IsDistilled = [true, true, true, true], SourceIndex = [-1, -1, -1, -1],
        SoftLabels = soft is null ? null : new SoftLabels(soft, kind, "datm"), Steps = steps,
        Info = new SmallSetInfo { Dataset = "mnist", Normalization = "mnist-dc", Method = "datm", Ipc = 1, NumClasses = 3 },
    };

    [Fact]
    public void SmallSet_RoundTripsSoftLabelsAndLearnedSteps_AsFormatV2()
    {
        using var dir = new TempDir();
        var logits = Tensors.FromArray(new float[] { 3, 0, 0, 0, 2, 1, 0, 0, 1, 1, 1, 1 }, 4, 3).DetachFromScope();
        using (var set = Set(logits, SoftLabelKind.Logits, new LearnedSteps([0.1, 0.2, 0.3, 0.4], 2)))
            set.Save(dir.Combine("s.safetensors"));
        using var back = SmallSet.Load(dir.Combine("s.safetensors"));
        var (_, meta) = DDist.Torch.IO.SafeTensors.Load(dir.Combine("s.safetensors"));
        Assert.Equal(SmallSet.FormatV2, meta["format"]);
        Assert.Equal(SoftLabelKind.Logits, back.SoftLabels!.Kind);
        Assert.Equal("datm", back.SoftLabels.Source);
        Assert.Equal(new float[] { 3, 0, 0, 0, 2, 1, 0, 0, 1, 1, 1, 1 }, back.SoftLabels.Values.ToArray<float>());
        Assert.Equal(new[] { 0.1, 0.2, 0.3, 0.4 }, back.Steps!.Lrs);
        Assert.Equal(2, back.Steps.ImageSteps);
        // Top labels: softmax of the logits, largest first.
        var top = back.SoftLabels.Top(0, 2);
        Assert.Equal(0, top[0].Class);
        Assert.Equal(Math.Exp(3) / (Math.Exp(3) + 2), top[0].Value, 5);
        Assert.Equal(1, top[1].Class);                 // ties broken by the smaller class
    }

    [Fact]
    public void SmallSet_WithoutSoftLabels_StaysFormatV1()
    {
        using var dir = new TempDir();
        using (var set = Set(null)) set.Save(dir.Combine("s.safetensors"));
        var (_, meta) = DDist.Torch.IO.SafeTensors.Load(dir.Combine("s.safetensors"));
        Assert.Equal(SmallSet.FormatV1, meta["format"]);
        using var back = SmallSet.Load(dir.Combine("s.safetensors"));
        Assert.Null(back.SoftLabels);
        Assert.Null(back.Steps);
    }

    [Fact]
    public void SoftLabelsOfTheWrongShape_AreRejectedNamingTheField()
    {
        using var dir = new TempDir();
        var wrong = Tensors.Zeros([4, 5]).DetachFromScope();
        using var set = Set(wrong);
        var e = Assert.Throws<InvalidDataException>(() => set.Save(dir.Combine("s.safetensors")));
        Assert.Contains("'soft_labels'", e.Message);
        Assert.Contains("[4,3]", e.Message);
    }

    [Fact]
    public void LearnedSteps_ThatDoNotDivideTheImages_AreRejected()
    {
        using var dir = new TempDir();
        using var set = Set(null, steps: new LearnedSteps([0.1], 3));
        var e = Assert.Throws<InvalidDataException>(() => set.Save(dir.Combine("s.safetensors")));
        Assert.Contains("'steps.images'", e.Message);
    }
}
