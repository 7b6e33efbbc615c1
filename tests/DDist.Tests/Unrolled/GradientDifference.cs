using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>How far one gradient is from a reference: the largest elementwise difference relative to the reference's
/// largest magnitude (a scale-free measure that a single near-zero element cannot blow up).</summary>
internal static class GradientDifference
{
    public static double MaxRelative(Tensor a, Tensor reference)
    {
        var x = a.To(DType.Float64).ToArray<double>();
        var y = reference.To(DType.Float64).ToArray<double>();
        double num = 0, den = 0;
        for (int i = 0; i < x.Length; i++) { num = Math.Max(num, Math.Abs(x[i] - y[i])); den = Math.Max(den, Math.Abs(y[i])); }
        return num / den;
    }
}
