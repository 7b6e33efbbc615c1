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
