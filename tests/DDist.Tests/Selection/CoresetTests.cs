using DDist.Selection;
using DDist.Torch;

namespace DDist.Tests.Selection;

/// <summary>Herding, k-center greedy and the coverage metric on point sets small enough to work out by hand.</summary>
public sealed class CoresetTests
{
    private static Tensor Points(params (double X, double Y)[] p) =>
        Tensors.FromArray(p.SelectMany(q => new[] { q.X, q.Y }).ToArray(), p.Length, 2);

    // A (0,0), B (4,0), C (1,1), D (0,3); class mean μ = (1.25, 1).
    private static Tensor HerdingPoints() => Points((0, 0), (4, 0), (1, 1), (0, 3));

    [Fact]
    public void HerdingArgminFollowsTheRunningMeanToTheClassMean()
    {
        // Step 0: target μ; squared distances A 2.5625, B 8.5625, C 0.0625, D 5.5625 → C.
        // Step 1: target 2μ − C = (1.5, 1): A 3.25, B 7.25, D 6.25 → A.
        // Step 2: target 3μ − C − A = (2.75, 2): B 5.5625, D 8.5625 → B; then D.
        using var p = HerdingPoints();
        Assert.Equal([2, 0, 1, 3], Herding.Select(p, 4, HerdingRule.Argmin));
        Assert.Equal([2, 0], Herding.Select(p, 2, HerdingRule.Argmin));
    }

    [Fact]
    public void HerdingArgmaxIsDeepCoresRuleAndDiffers()
    {
        // Step 0: target μ → the furthest, B (8.5625). Step 1: target 2μ − B = (−1.5, 2): A 6.25, C 7.25, D 3.25 → C.
        // Step 2: target 3μ − B − C = (−1.25, 2): A 5.5625, D 2.5625 → A; then D.
        using var p = HerdingPoints();
        Assert.Equal([1, 2, 0, 3], Herding.Select(p, 4, HerdingRule.Argmax));
        Assert.Equal("herding", Herding.MethodName(HerdingRule.Argmin));
        Assert.Equal("herding-argmax", Herding.MethodName(HerdingRule.Argmax));
    }

    [Fact]
    public void HerdingRejectsABudgetLargerThanTheClass()
    {
        using var p = HerdingPoints();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Herding.Select(p, 5, HerdingRule.Argmin));
        Assert.Contains("4", e.Message);
    }

    [Fact]
    public void KCenterGreedyTakesTheFurthestPointFromTheChosenCentres()
    {
        // x = 0, 1, 2, 10, 11, 5 on a line, first centre 0: distances 1, 2, 10, 11, 5 → 11 (row 4);
        // then min distances 1, 2, 1, −, 5 → 5 (row 5); then 1, 2, 1 → 2 (row 2).
        using var p = Points((0, 0), (1, 0), (2, 0), (10, 0), (11, 0), (5, 0));
        Assert.Equal([0, 4, 5, 2], KCenterGreedy.Select(p, 4, seed: 0, first: 0));
        Assert.Equal([3, 0, 5], KCenterGreedy.Select(p, 3, seed: 0, first: 3));
    }

    [Fact]
    public void KCenterGreedysFirstCentreComesFromTheSeed()
    {
        using var p = Points((0, 0), (1, 0), (2, 0), (10, 0), (11, 0), (5, 0));
        var a = KCenterGreedy.Select(p, 3, seed: 7);
        Assert.Equal(a, KCenterGreedy.Select(p, 3, seed: 7));
        Assert.Equal(new Random(7).Next(6), a[0]);
        Assert.Equal(3, a.Distinct().Count());
    }

    [Fact]
    public void CoverageRadiusIsTheMeanNearestNeighbourDistance()
    {
        // Nearest neighbours: (0,0)→(1,0) 1, (1,0)→(0,0) 1, (3,0)→(1,0) 2, (3,4)→(3,0) 4; r = 8/4 = 2.
        using var t = Points((0, 0), (1, 0), (3, 0), (3, 4));
        Assert.Equal(2.0, Coverage.Radius(t), 12);
        // A duplicate is another sample at distance 0: (0,0),(0,0),(5,0) → (0 + 0 + 5)/3.
        using var dup = Points((0, 0), (0, 0), (5, 0));
        Assert.Equal(5.0 / 3, Coverage.Radius(dup), 12);
    }

    [Fact]
    public void CoverageCountsQueriesWithinTheRadiusOfTheSet()
    {
        // Set {(0,0)}, r = 2: (0,0) at 0 ✓, (2,0) at 2 ✓ (≤ r), (2,1) at √5 ✗, (0,−2) at 2 ✓ → 3/4.
        using var set = Points((0, 0));
        using var queries = Points((0, 0), (2, 0), (2, 1), (0, -2));
        Assert.Equal(0.75, Coverage.Of(set, queries, 2.0), 12);
        using var two = Points((0, 0), (2, 1));
        Assert.Equal(1.0, Coverage.Of(two, queries, 2.0), 12);
    }
}
