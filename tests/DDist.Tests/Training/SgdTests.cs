using DDist.Torch;
using DDist.Training;

namespace DDist.Tests.Training;

public class SgdTests
{
    private static double[] Values(Tensor t) => t.ToArray<float>().Select(v => (double)v).ToArray();

    [Fact]
    public void MomentumAndWeightDecayFollowPyTorchByHand()
    {
        // p0 = [1, -2], constant gradient g = [0.5, 0.25], lr 0.1, momentum 0.9, weight decay 0.01.
        // step 1: d = g + 0.01·p0 = [0.51, 0.23];           buf = d;                 p1 = p0 − 0.1·buf = [0.949, −2.023]
        // step 2: d = [0.5 + 0.00949, 0.25 − 0.02023] = [0.50949, 0.22977]; buf = 0.9·[0.51,0.23] + d = [0.96849, 0.43677]
        //         p2 = [0.949 − 0.096849, −2.023 − 0.043677] = [0.852151, −2.066677]
        // step 3: d = [0.5 + 0.00852151, 0.25 − 0.02066677] = [0.50852151, 0.22933323]
        //         buf = 0.9·[0.96849, 0.43677] + d = [1.38016251, 0.62242623]; p3 = [0.714134749, −2.1289196]
        using var p = Tensors.FromArray(new float[] { 1, -2 });
        using var g = Tensors.FromArray(new float[] { 0.5f, 0.25f });
        using var sgd = new Sgd(momentum: 0.9, weightDecay: 0.01);
        double[][] expected = [[0.949, -2.023], [0.852151, -2.066677], [0.714134749, -2.1289196]];
        foreach (var e in expected)
        {
            sgd.Step(p, g, 0.1);
            var got = Values(p);
            Assert.Equal(e[0], got[0], 5);
            Assert.Equal(e[1], got[1], 5);
        }
        var buf = Values(sgd.MomentumBuffer!);
        Assert.Equal(1.38016251, buf[0], 5);
        Assert.Equal(0.62242623, buf[1], 5);
    }

    [Fact]
    public void WithoutMomentumItIsPlainGradientDescent()
    {
        using var p = Tensors.FromArray(new float[] { 3, 4 });
        using var g = Tensors.FromArray(new float[] { 1, -1 });
        using var sgd = new Sgd();
        sgd.Step(p, g, 0.5);
        Assert.Equal([2.5, 4.5], Values(p));
        Assert.Null(sgd.MomentumBuffer);
    }

    [Fact]
    public void ResetDropsTheMomentumBufferLikeAFreshOptimiser()
    {
        using var p = Tensors.FromArray(new float[] { 0 });
        using var g = Tensors.FromArray(new float[] { 1 });
        using var sgd = new Sgd(momentum: 0.5);
        sgd.Step(p, g, 1);          // buf 1, p −1
        sgd.Step(p, g, 1);          // buf 1.5, p −2.5
        Assert.Equal(-2.5, Values(p)[0], 6);
        sgd.Reset();
        sgd.Step(p, g, 1);          // buf starts again at g: p −3.5
        Assert.Equal(-3.5, Values(p)[0], 6);
    }

    [Fact]
    public void LoadedMomentumBufferContinuesTheSequence()
    {
        using var g = Tensors.FromArray(new float[] { 1, 2 });
        using var p = Tensors.FromArray(new float[] { 0, 0 });
        using var a = new Sgd(momentum: 0.9);
        a.Step(p, g, 0.1);
        using var resumed = p.Clone();
        using var fresh = p.Clone();
        using var b = new Sgd(momentum: 0.9);
        b.LoadMomentumBuffer(a.MomentumBuffer);
        using var c = new Sgd(momentum: 0.9);
        a.Step(p, g, 0.1);
        b.Step(resumed, g, 0.1);
        c.Step(fresh, g, 0.1);
        Assert.Equal(Values(p), Values(resumed));
        Assert.NotEqual(Values(p), Values(fresh));
    }

    [Fact]
    public void NegativeHyperParametersAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(weightDecay: -1));
    }
}
