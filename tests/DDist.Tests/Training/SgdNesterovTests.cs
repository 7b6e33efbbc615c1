using System.Globalization;
using System.Text.Json;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Training;

namespace DDist.Tests.Training;

/// <summary>Nesterov momentum as torch.optim.SGD(nesterov=True) computes it: d = g + wd·p; buf = d (first step) else
/// μ·buf + d; p ← p − lr·(d + μ·buf). DeepCore trains its coreset feature networks with it.</summary>
public class SgdNesterovTests
{
    [Fact]
    public void NesterovFollowsPyTorchByHand()
    {
        // p0 = [1, −2], constant gradient g = [0.5, 0.25], lr 0.1, momentum 0.9, weight decay 0.01.
        // step 1: d = [0.51, 0.23]; buf = d; step = d + 0.9·buf = [0.969, 0.437]; p1 = [0.9031, −2.0437]
        // step 2: d = g + 0.01·p1 = [0.509031, 0.229563]; buf = 0.9·[0.51, 0.23] + d = [0.968031, 0.436563]
        //         step = d + 0.9·buf = [1.3802589, 0.6224697]; p2 = [0.76507411, −2.10594697]
        using var p = Tensors.FromArray(new double[] { 1, -2 });
        using var g = Tensors.FromArray(new double[] { 0.5, 0.25 });
        using var sgd = new Sgd(momentum: 0.9, weightDecay: 0.01, nesterov: true);
        sgd.Step(p, g, 0.1);
        Assert.Equal(0.9031, p.ToArray<double>()[0], 12);
        Assert.Equal(-2.0437, p.ToArray<double>()[1], 12);
        sgd.Step(p, g, 0.1);
        Assert.Equal(0.76507411, p.ToArray<double>()[0], 12);
        Assert.Equal(-2.10594697, p.ToArray<double>()[1], 12);
        Assert.Equal(0.968031, sgd.MomentumBuffer!.ToArray<double>()[0], 12);
        Assert.Equal(0.436563, sgd.MomentumBuffer!.ToArray<double>()[1], 12);

        // Plain momentum takes buf itself as the step, so the two differ from the first step on.
        using var q = Tensors.FromArray(new double[] { 1, -2 });
        using var plain = new Sgd(momentum: 0.9, weightDecay: 0.01);
        plain.Step(q, g, 0.1);
        Assert.Equal(0.949, q.ToArray<double>()[0], 12);
    }

    [Fact]
    public void NesterovWithoutMomentumIsRejectedAsPyTorchDoes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Sgd(momentum: 0, nesterov: true));
        Assert.Contains("momentum", e.Message);
    }

    [Fact]
    public void TrainingStateHandsNesterovToItsOptimiser()
    {
        var o = new TrainOptions { Epochs = 1, BatchSize = 2, LearningRate = 0.1, Momentum = 0.9, Nesterov = true };
        using var state = TrainingState.Create(new TinyNetwork(4, 3, 2, batchNorm: false), o);
        Assert.True(state.Optimizer.Nesterov);
        using var plain = TrainingState.Create(new TinyNetwork(4, 3, 2, batchNorm: false), o with { Nesterov = false });
        Assert.False(plain.Optimizer.Nesterov);
    }

    [PythonTorchFact]
    public void NesterovEqualsTorchOptimSgdOverSeveralSteps()
    {
        // Five steps with changing gradients and weight decay, in float64, against torch.optim.SGD itself.
        var rng = new Random(7);
        double[] p0 = Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[][] grads = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        const string script = """
            import json, sys, torch
            a = json.loads(sys.argv[1])
            p = torch.tensor(a["p0"], dtype=torch.float64, requires_grad=True)
            opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
            for g in a["grads"]:
                p.grad = torch.tensor(g, dtype=torch.float64)
                opt.step()
            print(json.dumps(p.detach().tolist()))
            """;
        var (code, stdout, stderr) = PythonTorch.Run(["-c", script, JsonSerializer.Serialize(new { p0, grads })]);
        Assert.True(code == 0, $"python exited {code}:\n{stderr}");
        var expected = JsonSerializer.Deserialize<double[]>(stdout.Trim())!;

        using var p = Tensors.FromArray(p0);
        using var sgd = new Sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true);
        foreach (var g in grads)
        {
            using var gt = Tensors.FromArray(g);
            sgd.Step(p, gt, 0.1);
        }
        var got = p.ToArray<double>();
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-14, string.Create(CultureInfo.InvariantCulture, $"element {i}: {got[i]:R} against torch's {expected[i]:R}"));
    }
}
