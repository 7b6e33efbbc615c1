namespace DDist.Torch.Tests;

/// <summary>Element-wise comparison of doubles within an absolute tolerance (plus the same relative one).</summary>
internal sealed class Tolerance(double tol) : IEqualityComparer<double>
{
    public bool Equals(double a, double b) => Math.Abs(a - b) <= tol * (1 + Math.Abs(b));
    public int GetHashCode(double obj) => 0;
}
