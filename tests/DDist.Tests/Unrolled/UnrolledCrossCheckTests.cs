using DDist.Artifacts;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Distillation.Unrolled;
using DDist.Evaluation;
using DDist.Models;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Unrolled;

/// <summary>DD / soft-label DD's unrolled loss and gradients, the learned-steps GD step, AlexCifarNet's forward pass and
/// DATM's soft-label matching gradient, each against an independent PyTorch computation (tests/DDist.Tests/Python/unrolled_reference.py).</summary>
[Collection(SerialRngCollection.Name)]
public class UnrolledCrossCheckTests
{
    private const int K = 3;

    [PythonTorchFact]
    public void DdSldDatmAndAlexCifarNet_MatchPyTorchAutograd()
    {
        using var dir = new TempDir();
        using var scope = new TensorScope();
        Tensors.ManualSeed(7);
        var lenet = ModelZoo.Create("LeNet", 1, K, 12, 12);
        var alex = ModelZoo.Create("AlexCifarNet", 3, K, 32, 32);
        var x0 = Tensors.Randn([3, 1, 12, 12]);
        var x1 = Tensors.Randn([3, 1, 12, 12]);
        // Raw SLD label rows: not one-hot, not normalised, some negative.
        var y0 = Tensors.Randn([3, K]) * 0.5 + Tensors.FromArray(new long[] { 0, 1, 2 }).OneHot(K).To(DType.Float32);
        var y1 = Tensors.Randn([3, K]) * 0.5 + Tensors.FromArray(new long[] { 0, 1, 2 }).OneHot(K).To(DType.Float32);
        var r = Tensors.FromArray(new float[] { -1.5f, -0.5f, 0.3f, -2f });
        var w0 = XavierInit.Draw(lenet, 1.0);
        var realX = Tensors.Randn([5, 1, 12, 12]);
        var realY = Tensors.FromArray(new long[] { 0, 2, 1, 1, 0 });
        var gdTargets = Tensors.Randn([3, K]).Softmax(1);
        var alexX = Tensors.Randn([2, 3, 32, 32]);
        var alexW = alex.InitParameters();
        var lrnX = Tensors.Randn([2, 6, 3, 3]);
        var datmX = Tensors.Randn([6, 1, 12, 12]);
        var datmLogits = Tensors.Randn([6, K]);
        var theta0 = XavierInit.Draw(lenet, 1.0);
        var target = theta0 + Tensors.Randn([lenet.ParameterCount]) * 0.01;
        var inputs = new Dictionary<string, Tensor>
        {
            ["classes"] = Tensors.FromArray(new long[] { K }), ["dd.steps"] = Tensors.FromArray(new long[] { 2 }),
            ["dd.x0"] = x0, ["dd.x1"] = x1, ["dd.y0"] = y0, ["dd.y1"] = y1, ["dd.r"] = r, ["dd.w0"] = w0,
            ["dd.real_x"] = realX, ["dd.real_y"] = realY, ["gd.targets"] = gdTargets, ["gd.lr"] = Tensors.FromArray(new float[] { 0.3f }),
            ["alex.x"] = alexX, ["alex.w"] = alexW, ["lrn.x"] = lrnX,
            ["datm.x"] = datmX, ["datm.logits"] = datmLogits, ["datm.lr"] = Tensors.Scalar(0.05), ["datm.theta0"] = theta0,
            ["datm.target"] = target, ["datm.steps"] = Tensors.FromArray(new long[] { 3 }),
        };
        SafeTensors.Save(dir.Combine("in.safetensors"), inputs);
        PythonTorch.RunScript("unrolled_reference.py", dir.Combine("in.safetensors"), dir.Combine("out.safetensors"));
        var (py, _) = SafeTensors.Load(dir.Combine("out.safetensors"));

        // DD / SLD: loss and gradients with respect to both image batches, both label batches and r.
        var images = new[] { x0.Clone().RequiresGrad_(), x1.Clone().RequiresGrad_() };
        var labels = new[] { y0.Clone().RequiresGrad_(), y1.Clone().RequiresGrad_() };
        var raw = r.Clone().RequiresGrad_();
        var loss = DdUnroll.Loss(lenet, w0, images, labels, DdUnroll.StepSizes(raw), realX, realY);
        var g = Autograd.Grad([loss], [images[0], images[1], labels[0], labels[1], raw]);
        Close(py["dd.loss"], loss.Reshape(1), "DD loss");
        Close(py["dd.gx0"], g[0]!, "∂L/∂x₀");
        Close(py["dd.gx1"], g[1]!, "∂L/∂x₁");
        Close(py["dd.gy0"], g[2]!, "∂L/∂ỹ₀");
        Close(py["dd.gy1"], g[3]!, "∂L/∂ỹ₁");
        Close(py["dd.gr"], g[4]!, "∂L/∂r");

        // The learned-steps evaluation's plain GD step on soft targets.
        using var w1 = LearnedStepsEvaluator.Train(lenet, w0, x0, gdTargets, new LearnedSteps([0.3], 1));
        Close(py["gd.w1"], w1, "GD step on soft targets");

        Close(py["alex.logits"], alex.Forward(alexX, alexW, null, training: true), "AlexCifarNet logits");
        var ctx = new DDist.Models.Layers.ForwardContext([], null, true);
        Close(py["lrn4"], new DDist.Models.Layers.LocalResponseNormLayer(4, 2.0, 0.75, 1.0).Apply(lrnX, ctx), "local response norm, size 4");
        Close(py["lrn5"], new DDist.Models.Layers.LocalResponseNormLayer(5, 2.0, 0.75, 1.0).Apply(lrnX, ctx), "local response norm, size 5");

        // DATM: MTT's matching loss with softmax(ŷ) targets, gradients to images, label logits and α.
        var dx = datmX.Clone().RequiresGrad_();
        var dl = datmLogits.Clone().RequiresGrad_();
        var lr = Tensors.Scalar(0.05).RequiresGrad_();
        var datmLoss = TrajectoryMatchingLoss.Compute(lenet, dx, dl.Softmax(1), lr, theta0, target, 3, null, null);
        var dg = Autograd.Grad([datmLoss], [dx, dl, lr]);
        Close(py["datm.loss"], datmLoss.Reshape(1), "DATM loss");
        Close(py["datm.gx"], dg[0]!, "DATM ∂L/∂x");
        Close(py["datm.glogits"], dg[1]!, "DATM ∂L/∂ŷ");
        Close(py["datm.glr"], dg[2]!.Reshape(1), "DATM ∂L/∂α");
    }

    /// <summary>Relative to the reference's largest magnitude: float32 on both sides, different summation orders.</summary>
    private static void Close(Tensor expected, Tensor actual, string what)
    {
        using var scope = new TensorScope();
        var e = expected.To(DType.Float64).Reshape(-1).ToArray<double>();
        var a = actual.Detach().To(DType.Float64).Reshape(-1).ToArray<double>();
        Assert.Equal(e.Length, a.Length);
        double scale = Math.Max(e.Max(Math.Abs), 1e-12);
        double worst = e.Zip(a, (p, q) => Math.Abs(p - q)).Max() / scale;
        Assert.True(worst < 2e-4, $"{what}: worst difference {worst:E2} of the largest magnitude {scale:E2}");
        Assert.True(scale > 1e-8, $"{what}: the reference is all zeros, the check would be vacuous");
    }
}
