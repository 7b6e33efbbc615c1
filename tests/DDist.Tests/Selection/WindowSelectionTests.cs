using DDist.Selection;

namespace DDist.Tests.Selection;

public class WindowSelectionTests
{
    // Two interleaved classes of 6; class 0 = even indices, class 1 = odd. Several ties on purpose.
    internal static readonly long[] Labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    internal static readonly double[] Values = [0.5, 0.2, 0.1, 0.2, 0.5, 0.2, 0.3, 0.0, 0.1, 0.7, 0.9, 0.2];

    internal static DifficultyRanking Rank(ScoreKind kind) => DifficultyRanking.Build(
        new DifficultyScores { Scores = Values, Kind = kind, Direction = kind.DefaultHardEnd(), Dataset = "toy", Source = "test" }, Labels, 2);

    [Fact]
    public void RankingIsHardestFirstAndStableOnTies()
    {
        var cs = Rank(ScoreKind.CScore);          // ascending, ties in index order
        Assert.Equal([2, 8, 6, 0, 4, 10], cs.Class(0));
        Assert.Equal([7, 1, 3, 5, 11, 9], cs.Class(1));
        var fg = Rank(ScoreKind.Forgetting);      // descending, ties still in index order
        Assert.Equal([10, 0, 4, 6, 2, 8], fg.Class(0));
        Assert.Equal([9, 1, 3, 5, 11, 7], fg.Class(1));
    }

    [Theory]
    // kind, reading, β, expected class 0, expected class 1 (IPC 2)
    [InlineData(ScoreKind.CScore, WindowOffset.FractionOfIpc, 0.5, new[] { 8, 6 }, new[] { 1, 3 })]      // ths = ⌊2·0.5⌋ = 1
    [InlineData(ScoreKind.CScore, WindowOffset.FractionOfClass, 0.5, new[] { 0, 4 }, new[] { 5, 11 })]   // ths = ⌊0.5·6⌋ = 3
    [InlineData(ScoreKind.Forgetting, WindowOffset.FractionOfIpc, 0.5, new[] { 0, 4 }, new[] { 1, 3 })]
    [InlineData(ScoreKind.Forgetting, WindowOffset.FractionOfClass, 0.5, new[] { 6, 2 }, new[] { 5, 11 })]
    [InlineData(ScoreKind.CScore, WindowOffset.FractionOfIpc, 0.0, new[] { 2, 8 }, new[] { 7, 1 })]
    [InlineData(ScoreKind.CScore, WindowOffset.FractionOfClass, 0.7, new[] { 4, 10 }, new[] { 11, 9 })]  // ths = ⌊4.2⌋ = 4 (fits exactly)
    public void WindowIndicesForBothReadingsAndDirections(ScoreKind kind, WindowOffset reading, double beta, int[] c0, int[] c1)
    {
        var w = WindowSelection.Choose(Rank(kind), beta, 2, reading);
        Assert.Equal(c0, w.Frozen[0]);
        Assert.Equal(c1, w.Frozen[1]);
        Assert.Empty(w.Distilled[0]);
        Assert.Equal(c0.Concat(c1).ToArray(), w.AllIndices());
    }

    [Fact]
    public void WindowPastTheClassEndIsRejectedOrShiftedBack()
    {
        var r = Rank(ScoreKind.CScore);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => WindowSelection.Choose(r, 0.9, 2, WindowOffset.FractionOfClass));
        Assert.Contains("class 0", ex.Message);
        Assert.Contains("β = 0.9", ex.Message);
        var shifted = WindowSelection.Choose(r, 0.9, 2, WindowOffset.FractionOfClass, overflow: WindowOverflow.ShiftBack);
        Assert.Equal([4, 4], shifted.Start);       // ⌊5.4⌋ = 5 → moved back to 6 − 2
        Assert.Equal([4, 10], shifted.Frozen[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowSelection.Choose(r, 0, 7, WindowOffset.FractionOfIpc)); // IPC > class size
    }

    [Fact]
    public void SplitFreezesTheHarderPartByDefault()
    {
        var r = Rank(ScoreKind.CScore);
        // IPC 5, α 0.6 → cpc = ⌊3.0000000000000004⌋ = 3 distilled, spc = 2 frozen; window of class 0 = [2, 8, 6, 0, 4]
        var w = WindowSelection.Choose(r, 0, 5, WindowOffset.FractionOfIpc, distilledFraction: 0.6);
        Assert.Equal([2, 8], w.Frozen[0]);
        Assert.Equal([6, 0, 4], w.Distilled[0]);
        var easier = WindowSelection.Choose(r, 0, 5, WindowOffset.FractionOfIpc, distilledFraction: 0.6, frozen: FrozenPart.Easier);
        Assert.Equal([0, 4], easier.Frozen[0]);
        Assert.Equal([2, 8, 6], easier.Distilled[0]);
        var all = WindowSelection.Choose(r, 0, 5, WindowOffset.FractionOfIpc, distilledFraction: 1);
        Assert.Empty(all.Frozen[0]);
        Assert.Equal(5, all.Distilled[0].Length);
    }

    [Theory]
    // SelMatch's per-setting α and β (`scripts/distill/*.sh`), with Python float semantics.
    [InlineData(250, 0.6, 0.5, 150, 125)]
    [InlineData(500, 0.2, 0.3, 100, 150)]
    [InlineData(1000, 0.1, 0.2, 100, 200)]
    [InlineData(1500, 0.1, 0.2, 150, 300)]
    [InlineData(25, 0.8, 0.8, 20, 20)]
    [InlineData(50, 0.6, 0.7, 30, 35)]
    [InlineData(100, 0.3, 0.6, 30, 60)]
    [InlineData(150, 0.2, 0.4, 30, 60)]
    [InlineData(50, 0.6, 0.8, 30, 40)]
    [InlineData(100, 0.5, 0.7, 50, 70)]
    public void PublishedSplitsAndOffsets(int ipc, double alpha, double beta, int cpc, int ths)
    {
        Assert.Equal(cpc, WindowSelection.DistilledPerClass(ipc, alpha));
        Assert.Equal(ipc - cpc, WindowSelection.FrozenPerClass(ipc, alpha));
        Assert.Equal(ths, WindowOffsetMath.Start(WindowOffset.FractionOfIpc, beta, ipc, 5000));
    }

    [Fact]
    public void FloorIsTakenOfTheDoubleProduct()
    {
        Assert.Equal(28, WindowOffsetMath.FloorProduct(100, 0.29));   // 28.999999999999996 in double, as in Python
        Assert.Equal(30, WindowOffsetMath.FloorProduct(50, 0.6));     // 30.000000000000004
    }
}
