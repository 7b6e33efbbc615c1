using System.Text.Json;
using DDist.Distillation;
using DDist.Models;
using DDist.Tests.Data;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Distillation;

/// <summary>The DC/DSA matching loss and the DM loss, and their gradients with respect to the synthetic images,
/// against an independent PyTorch computation (tests/DDist.Tests/Python/family_reference.py, written as the DC repository
/// writes them), in float64 on a small ConvNet.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class FamilyCrossCheckTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    private const int Width = 4, Depth = 2, Channels = 3, Size = 8, Classes = 3;

    [PythonTorchTheory]
    [InlineData("instancenorm", "ours")]
    [InlineData("instancenorm", "mse")]
    [InlineData("instancenorm", "cos")]
    [InlineData("batchnorm", "ours")]
    public void GradientMatchingLossAndImageGradientMatchPyTorch(string norm, string metric)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(11);
        var net = Net(norm);
        var theta = net.InitParameters().To(DType.Float64).Detach().RequiresGrad_();
        var real = Tensors.Randn([6, Channels, Size, Size], DType.Float64);
        var syn = Tensors.Randn([2, Channels, Size, Size], DType.Float64).RequiresGrad_();
        NetState? bn = null;
        if (norm == "batchnorm")
        {
            bn = new NetState();
            for (int d = 0; d < Depth; d++)
                bn.Buffers.Add((Tensors.Randn([Width], DType.Float64) * 0.1, Tensors.Rand([Width], DType.Float64) + 0.5));
        }
        var loss = GradientMatching.ClassLoss(net, theta, bn, real, syn, 1, GradientMatchingDistance.Parse(metric, "metric"));
        var grad = Autograd.Grad(loss, syn);

        var inputs = new Dictionary<string, Tensor> { ["theta"] = theta.Detach(), ["real"] = real, ["syn"] = syn.Detach() };
        if (bn is not null)
            for (int d = 0; d < Depth; d++) { inputs[$"bn{d}_mean"] = bn.Buffers[d].Mean; inputs[$"bn{d}_var"] = bn.Buffers[d].Var; }
        var (pyLoss, pyGrad) = RunPython(net, norm, inputs, new() { ["mode"] = "dc", ["label"] = "1", ["metric"] = metric });

        Assert.True(loss.Item() > 1e-3, $"the loss is {loss.Item()}; a near-zero loss would check nothing");
        AssertClose(pyLoss, loss.Item(), 1e-10);
        AssertTensorsClose(pyGrad, grad, 1e-9);
    }

    [PythonTorchFact]
    public void DistributionMatchingLossAndImageGradientMatchPyTorch()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(12);
        var net = Net("instancenorm");
        var theta = net.InitParameters().To(DType.Float64);
        int[] realCounts = [5, 3, 4], synCounts = [2, 2, 2];
        var reals = realCounts.Select(n => Tensors.Randn([n, Channels, Size, Size], DType.Float64)).ToList();
        var syn = Tensors.Randn([synCounts.Sum(), Channels, Size, Size], DType.Float64).RequiresGrad_();
        var syns = Enumerable.Range(0, Classes).Select(c => syn.Narrow(0, 2 * c, 2)).ToList();
        var loss = DistributionMatching.Loss(net, theta, reals, syns);
        var grad = Autograd.Grad(loss, syn);

        var (pyLoss, pyGrad) = RunPython(net, "instancenorm",
            new() { ["theta"] = theta, ["real"] = Tensors.Cat(reals), ["syn"] = syn.Detach() },
            new() { ["mode"] = "dm", ["real_counts"] = JsonSerializer.Serialize(realCounts), ["syn_counts"] = JsonSerializer.Serialize(synCounts) });

        Assert.True(loss.Item() > 1e-6, $"the loss is {loss.Item()}; a near-zero loss would check nothing");
        AssertClose(pyLoss, loss.Item(), 1e-10);
        AssertTensorsClose(pyGrad, grad, 1e-9);
    }

    private static INetwork Net(string norm) =>
        ModelZoo.Create($"{(norm == "batchnorm" ? "ConvNetBN" : "ConvNet")}(width={Width},depth={Depth})", Channels, Classes, Size, Size);

    private (double Loss, Tensor Grad) RunPython(INetwork net, string norm, Dictionary<string, Tensor> inputs, Dictionary<string, string> meta)
    {
        var input = Path.Combine(_dir, "in.safetensors");
        var output = Path.Combine(_dir, "out.safetensors");
        meta["net"] = JsonSerializer.Serialize(new { width = Width, depth = Depth, norm });
        meta["layout"] = JsonSerializer.Serialize(net.Layout.Select(s => new { name = s.Name, shape = s.Shape, offset = s.Offset }));
        SafeTensors.Save(input, inputs, meta);
        PythonTorch.RunScript("family_reference.py", input, output);
        var (t, _) = SafeTensors.Load(output);
        return (t["loss"].ToArray<double>()[0], t["grad_syn"]);
    }

    private static void AssertClose(double expected, double actual, double relTol) =>
        Assert.True(Math.Abs(expected - actual) <= relTol * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    private static void AssertTensorsClose(Tensor expected, Tensor actual, double relTol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var scope = new TensorScope();
        double scale = expected.Abs().Max().Item();
        double diff = (expected - actual.To(expected.DType)).Abs().Max().Item();
        Assert.True(scale > 0, "the PyTorch gradient is all zeros; the check would be empty");
        Assert.True(diff <= relTol * scale, $"max |Δ| {diff:G3} against max |g| {scale:G3}");
    }
}
