using DDist.Torch;

namespace DDist.Selection;

/// <summary>The r-coverage of a set (Zheng et al., ICLR 2023, "Coverage-centric coreset selection"; used by
/// SelMatch, Lee et al. ICML 2024, section 3): the fraction of query points (e.g. the test set) within distance r of the
/// set in feature space, where r is the mean nearest-neighbour distance among reference training points.</summary>
public static class Coverage
{
    private const int Chunk = 1024;

    /// <summary>r = (1/|T|) Σ_{x∈T} min_{x'∈T, x'≠x} ‖f(x) − f(x')‖₂ over the rows of <paramref name="reference"/> (n ≥ 2).</summary>
    public static double Radius(Tensor reference)
    {
        long n = reference.Size(0);
        if (reference.Dim != 2 || n < 2) throw new ArgumentException($"coverage radius needs at least two reference features (n, d), got [{string.Join(", ", reference.Shape)}]");
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        double total = 0;
        for (long i0 = 0; i0 < n; i0 += Chunk)
        {
            using var step = new TensorScope();
            long len = Math.Min(Chunk, n - i0);
            var d2 = SquaredDistances(reference.Narrow(0, i0, len), reference);
            var self = Tensors.Arange(i0, i0 + len, 1, DType.Int64, reference.Device).Unsqueeze(1);
            d2 = d2.Scatter(1, self, Tensors.Full([len, 1], double.PositiveInfinity, d2.DType, d2.Device));
            total += d2.AMin([1]).Sqrt().Sum().Item();
        }
        return total / n;
    }

    /// <summary>Fraction of the rows of <paramref name="queries"/> whose nearest row of <paramref name="set"/> is within <paramref name="radius"/>.</summary>
    public static double Of(Tensor set, Tensor queries, double radius)
    {
        if (set.Dim != 2 || queries.Dim != 2 || set.Size(0) == 0 || set.Size(1) != queries.Size(1))
            throw new ArgumentException($"coverage needs features (n, d) of the same width, got set [{string.Join(", ", set.Shape)}] and queries [{string.Join(", ", queries.Shape)}]");
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        long n = queries.Size(0), covered = 0;
        for (long i0 = 0; i0 < n; i0 += Chunk)
        {
            using var step = new TensorScope();
            long len = Math.Min(Chunk, n - i0);
            var nearest = SquaredDistances(queries.Narrow(0, i0, len), set.To(queries.DType)).AMin([1]).Sqrt();
            covered += nearest.Le(radius).Sum().ItemLong();
        }
        return (double)covered / n;
    }

    /// <summary>‖a_i − b_j‖² for all pairs, as ‖a‖² + ‖b‖² − 2a·b clamped at 0.</summary>
    private static Tensor SquaredDistances(Tensor a, Tensor b)
    {
        var aa = a.Square().Sum(1, keepDim: true);
        var bb = b.Square().Sum(1, keepDim: true).T();
        return (aa + bb - a.MatMul(b.T()) * 2).Clamp(min: 0);
    }
}
