using DDist.Torch;

namespace DDist.Tests;

/// <summary>Checks autograd gradients against central finite differences in float64.</summary>
internal static class FiniteDifference
{
    /// <summary>Asserts that d f(x) / dx from autograd matches (f(x + εe_i) − f(x − εe_i)) / 2ε at
    /// <paramref name="samples"/> random coordinates i (all of them when the input is smaller).
    /// <paramref name="f"/> must return a scalar and be deterministic.</summary>
    public static void AssertGradientMatches(Func<Tensor, Tensor> f, Tensor input, int samples, int seed = 1,
                                             double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4)
    {
        Assert.Equal(DType.Float64, input.DType);
        using var scope = new TensorScope();
        var shape = input.Shape;
        var x = input.Detach().Clone().RequiresGrad_();
        var analytic = Autograd.Grad(f(x), x).ToArray<double>();
        var host = input.ToArray<double>();
        var rng = new Random(seed);
        var coords = host.Length <= samples ? Enumerable.Range(0, host.Length) : Enumerable.Range(0, samples).Select(_ => rng.Next(host.Length));
        int checkedCount = 0;
        foreach (var i in coords)
        {
            double saved = host[i];
            host[i] = saved + eps;
            double plus = Evaluate(f, host, shape);
            host[i] = saved - eps;
            double minus = Evaluate(f, host, shape);
            host[i] = saved;
            double numeric = (plus - minus) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic[i]) <= atol + rtol * Math.Abs(numeric),
                        $"coordinate {i}: autograd {analytic[i]:G10}, finite difference {numeric:G10}");
            checkedCount++;
        }
        Assert.True(checkedCount > 0);
        // A gradient that is zero everywhere would pass trivially; the checks are only meaningful when it is not.
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-8);
    }

    private static double Evaluate(Func<Tensor, Tensor> f, double[] host, long[] shape)
    {
        using var scope = new TensorScope();
        return f(Tensors.FromArray(host, shape)).Item();
    }
}
