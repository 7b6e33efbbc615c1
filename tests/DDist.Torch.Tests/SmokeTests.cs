using DDist.Torch;

namespace DDist.Torch.Tests;

public class SmokeTests
{
    [Fact]
    public void VersionAndBasicMath()
    {
        Assert.Equal(1, Tensors.AbiVersion);
        Assert.StartsWith("1.", Tensors.Version.Length > 0 ? Tensors.Version : "x");
        using var scope = new TensorScope();
        var a = Tensors.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = (a * 2 + 1).Sum();
        Assert.Equal(24.0, b.Item(), 6);
        Assert.Equal(new long[] { 2, 2 }, a.Shape);
    }

    [Fact]
    public void AllFiniteAndAnyFiniteLookAtEveryElement()
    {
        using var scope = new TensorScope();
        var fine = Tensors.FromArray(new float[] { 1, -2, 0, 3 }, 2, 2);
        var oneNan = Tensors.FromArray(new float[] { 1, float.NaN, 0, 3 }, 2, 2);
        var allBad = Tensors.FromArray(new float[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }, 3);
        Assert.Equal((true, true), (fine.AllFinite(), fine.AnyFinite()));
        Assert.Equal((false, true), (oneNan.AllFinite(), oneNan.AnyFinite()));
        Assert.Equal((false, false), (allBad.AllFinite(), allBad.AnyFinite()));
        Assert.Equal(3, scope.Count);   // the reductions' temporaries are freed inside
    }

    [Fact]
    public void ErrorsBecomeExceptions()
    {
        using var scope = new TensorScope();
        var a = Tensors.Zeros([2, 3]);
        var b = Tensors.Zeros([4, 5]);
        var ex = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("mat1 and mat2", ex.Message);
    }

    [Fact]
    public void SecondOrderGrad()
    {
        using var scope = new TensorScope();
        var x = Tensors.FromArray(new double[] { 1.5 }).RequiresGrad_();
        var y = x * x * x;
        var dy = Autograd.Grad([y.Sum()], [x], createGraph: true)[0]!;
        var d2y = Autograd.Grad(dy.Sum(), x);
        Assert.Equal(9.0, d2y.Item(), 9);
    }
}
