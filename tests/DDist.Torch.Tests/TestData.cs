namespace DDist.Torch.Tests;

/// <summary>Deterministic float64 inputs built on the host (System.Random), so tests never depend on
/// libtorch's global generator, which other tests may be using concurrently.</summary>
public static class TestData
{
    public static Tensor Normal(int seed, params long[] shape)
    {
        var rng = new Random(seed);
        return Build(shape, _ => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
    }

    public static Tensor Uniform(int seed, double low, double high, params long[] shape)
    {
        var rng = new Random(seed);
        return Build(shape, _ => low + (high - low) * rng.NextDouble());
    }

    /// <summary>|x| in [0.3, 1.5] with a random sign: safe for kinks at zero (abs, relu, leaky relu).</summary>
    public static Tensor AwayFromZero(int seed, params long[] shape)
    {
        var rng = new Random(seed);
        return Build(shape, _ => (rng.Next(2) == 0 ? -1 : 1) * (0.3 + 1.2 * rng.NextDouble()));
    }

    /// <summary>A random permutation of (k + 0.5)·0.1 + offset, centred on zero: no two elements closer than 0.1
    /// and none at zero, so max/min/pool choices never flip under a finite-difference step.</summary>
    public static Tensor Distinct(int seed, long[] shape, double offset = 0)
    {
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, (int)n).Select(k => (k - n / 2 + 0.5) * 0.1 + offset).ToArray();
        rng.Shuffle(values);
        return Tensors.FromArray(values, shape);
    }

    public static Tensor Labels(int seed, int count, int classes)
    {
        var rng = new Random(seed);
        return Tensors.FromArray(Enumerable.Range(0, count).Select(_ => (long)rng.Next(classes)).ToArray(), count);
    }

    public static Tensor Longs(long[] values, params long[] shape) => Tensors.FromArray(values, shape);

    private static Tensor Build(long[] shape, Func<int, double> element)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return Tensors.FromArray(Enumerable.Range(0, (int)n).Select(element).ToArray(), shape);
    }
}
