namespace DDist.Torch.Tests;

/// <summary>The harness must be able to fail: functions whose autograd derivative is deliberately wrong
/// (a Detach hides part of the dependence) are rejected, and vacuous checks are refused.</summary>
public class GradCheckSelfTests
{
    [Fact]
    public void WrongFirstDerivativeIsCaught()
    {
        using var scope = new TensorScope();
        // Value x², but autograd sees x·const: analytic x, numeric 2x.
        var ex = Assert.Throws<GradCheckException>(() =>
            GradCheck.FirstOrder(x => x[0].Mul(x[0].Detach()), TestData.Normal(1, 3, 4)));
        Assert.Contains("first-order gradient mismatch", ex.Message);
    }

    [Fact]
    public void SmallFirstOrderErrorIsCaught()
    {
        using var scope = new TensorScope();
        // Value x + 1e-3·x², but autograd sees the square term as constant: a relative error of a few 1e-3.
        Assert.Throws<GradCheckException>(() =>
            GradCheck.FirstOrder(x => x[0].Add(x[0].Detach().Square().Mul(1e-3)), TestData.Uniform(2, 1, 2, 5)));
    }

    [Fact]
    public void CorrectFirstDerivativeWrongSecondIsCaughtOnlyBySecondOrder()
    {
        using var scope = new TensorScope();
        // Value ½x², gradient x (right), but the gradient carries no graph: analytic second derivative 0, numeric 1.
        Func<Tensor[], Tensor> f = x => x[0].Mul(x[0].Detach()).Sub(x[0].Detach().Square().Mul(0.5));
        var input = TestData.Normal(3, 2, 3);
        GradCheck.FirstOrder(f, input);
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.SecondOrder(f, [input]));
        Assert.Contains("second-order gradient mismatch", ex.Message);
    }

    [Fact]
    public void UnusedInputMakesTheCheckVacuous()
    {
        using var scope = new TensorScope();
        var ex = Assert.Throws<GradCheckException>(() =>
            GradCheck.FirstOrder(x => x[0].Exp(), TestData.Normal(4, 3), TestData.Normal(5, 3)));
        Assert.Contains("input 1 does not measurably influence", ex.Message);
    }

    [Fact]
    public void NonDoubleInputsAreRefused()
    {
        using var scope = new TensorScope();
        Assert.Throws<ArgumentException>(() => GradCheck.FirstOrder(x => x[0].Exp(), Tensors.Ones([3])));
    }
}
