using DDist.Distillation;
using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>The gradient-matching distances on a hand-worked layout: one 2×2 weight and a 2-element bias.</summary>
public sealed class GradientMatchingDistanceTests
{
    private static readonly ParamSlot[] Layout = [new("w", [2, 2], 0), new("b", [2], 4)];

    private static (Tensor Syn, Tensor Real) Grads() =>
        (Tensors.FromArray(new[] { 1.0, 0, 0, 1, 7, 7 }), Tensors.FromArray(new[] { 1.0, 0, 1, 0, -3, 4 }));

    [Fact]
    public void LayerWiseSumsOneMinusCosinePerRowAndSkipsBiases()
    {
        // Row 0: r = s = (1, 0): 1 − 1/(1 + 1e-6). Row 1: r = (1, 0), s = (0, 1): 1 − 0. The bias (7, 7) vs (−3, 4) adds 0.
        var (s, r) = Grads();
        using (s) using (r)
        using (var d = GradientMatchingDistance.Compute(s, r, Layout, GradientDistance.LayerWise))
            Assert.Equal(1 - 1 / (1 + 1e-6) + 1, d.Item(), 12);
    }

    [Fact]
    public void MseAndCosineUseEveryParameter()
    {
        var (s, r) = Grads();
        using (s) using (r)
        {
            using var mse = GradientMatchingDistance.Compute(s, r, Layout, GradientDistance.Mse);
            Assert.Equal(0 + 0 + 1 + 1 + 100 + 9, mse.Item(), 12);
            // ⟨r, s⟩ = 1 − 21 + 28 = 8, ‖r‖ = √27, ‖s‖ = 10.
            using var cos = GradientMatchingDistance.Compute(s, r, Layout, GradientDistance.Cosine);
            Assert.Equal(1 - 8 / (10 * Math.Sqrt(27) + 1e-6), cos.Item(), 12);
        }
    }

    [Fact]
    public void UnknownMetricIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => GradientMatchingDistance.Parse("l2", "dc.metric"));
        Assert.Contains("dc.metric", e.Message);
        Assert.Contains("l2", e.Message);
    }

    [Fact]
    public void ReferenceLoopsExistOnlyForTheReferencesIpcs()
    {
        Assert.Equal((10, 50), GradientMatchingOptions.Loops(10));
        Assert.Equal((50, 10), GradientMatchingOptions.Loops(50));
        Assert.Null(GradientMatchingOptions.Loops(7));
        var e = Assert.Throws<ArgumentException>(() => new GradientMatchingOptions { Ipc = 7 }.ResolveLoops());
        Assert.Contains("IPC 7", e.Message);
        Assert.Equal((2, 3), new GradientMatchingOptions { Ipc = 7, OuterLoop = 2, InnerLoop = 3 }.ResolveLoops());
    }
}
