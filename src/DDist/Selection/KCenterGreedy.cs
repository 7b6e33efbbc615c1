using DDist.Torch;

namespace DDist.Selection;

/// <summary>k-Center Greedy (Sener &amp; Savarese, ICLR 2018; DeepCore `kcentergreedy.py`) over feature vectors of one
/// class: the first centre is random (seeded) and counts toward the budget; then, budget − 1 times, the point
/// furthest from every chosen centre joins them.</summary>
public static class KCenterGreedy
{
    /// <summary>Row positions of <paramref name="features"/> (n, d) in the order chosen; ties go to the lower row.</summary>
    /// <param name="first">The first centre; null draws it with <c>new Random(seed)</c>.</param>
    public static int[] Select(Tensor features, int budget, int seed, int? first = null)
    {
        if (features.Dim != 2) throw new ArgumentException($"k-center needs features (n, d), got [{string.Join(", ", features.Shape)}]", nameof(features));
        int n = (int)features.Size(0);
        if (budget < 0 || budget > n) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"k-center can choose 0..{n} of {n} points");
        if (budget == 0) return [];
        int start = first ?? new Random(seed).Next(n);
        if (start < 0 || start >= n) throw new ArgumentOutOfRangeException(nameof(first), first, $"first centre outside 0..{n - 1}");
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var phi = features.To(DType.Float64);
        var minDist = Distances(phi, start);
        var order = new List<int> { start };
        minDist[start] = -1;
        while (order.Count < budget)
        {
            int p = 0;
            for (int x = 1; x < n; x++) if (minDist[x] > minDist[p]) p = x;
            order.Add(p);
            var d = Distances(phi, p);
            for (int x = 0; x < n; x++) minDist[x] = Math.Min(minDist[x], d[x]);
            foreach (var s in order) minDist[s] = -1;
        }
        return order.ToArray();
    }

    private static double[] Distances(Tensor phi, int row)
    {
        using var scope = new TensorScope();
        return (phi - phi.Select(0, row).Unsqueeze(0)).Square().Sum(1).Sqrt().To(Device.Cpu).ToArray<double>();
    }
}
