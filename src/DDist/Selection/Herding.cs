using DDist.Torch;

namespace DDist.Selection;

/// <summary>Which point herding adds: the textbook rule (Welling 2009; Rebuffi et al. 2017, iCaRL) takes the point
/// that brings the running mean of the chosen features closest to the class mean; DeepCore's `herding.py` takes
/// the point furthest from that target instead (argmax), kept for parity with its published numbers.</summary>
public enum HerdingRule { Argmin, Argmax }

/// <summary>Herding over feature vectors of one class.</summary>
public static class Herding
{
    public static string MethodName(HerdingRule rule) => rule == HerdingRule.Argmin ? "herding" : "herding-argmax";

    /// <summary>Row positions of <paramref name="features"/> (n, d) in the order chosen. Step i (0-based) scores every
    /// unchosen x by ‖r − φ(x)‖ with r = (i + 1)·μ − Σ_chosen φ, and takes the smallest (argmin) or largest (argmax);
    /// ties go to the lower row.</summary>
    public static int[] Select(Tensor features, int budget, HerdingRule rule)
    {
        if (features.Dim != 2) throw new ArgumentException($"herding needs features (n, d), got [{string.Join(", ", features.Shape)}]", nameof(features));
        long n = features.Size(0);
        if (budget < 0 || budget > n) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"herding can choose 0..{n} of {n} points");
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var phi = features.To(DType.Float64);
        var mu = phi.Mean(0);
        var sum = Tensors.Zeros([phi.Size(1)], DType.Float64, phi.Device);
        var chosen = new bool[n];
        var order = new int[budget];
        for (int i = 0; i < budget; i++)
        {
            using var step = new TensorScope();
            var target = mu * (i + 1) - sum;
            var d2 = (phi - target.Unsqueeze(0)).Square().Sum(1).To(Device.Cpu).ToArray<double>();
            int best = -1;
            for (int x = 0; x < n; x++)
            {
                if (chosen[x]) continue;
                if (best < 0 || (rule == HerdingRule.Argmin ? d2[x] < d2[best] : d2[x] > d2[best])) best = x;
            }
            chosen[best] = true;
            order[i] = best;
            sum = (sum + phi.Select(0, best)).MoveToOuterScope();
        }
        return order;
    }
}
