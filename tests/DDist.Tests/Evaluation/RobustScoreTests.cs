using DDist.Evaluation;

namespace DDist.Tests.Evaluation;

/// <summary>DD-Ranking's normalisation and weighted differences, against the arithmetic written out.</summary>
public sealed class RobustScoreTests
{
    [Fact]
    public void TheNormalisationMapsMinusOneToZeroAndOneToAHundred()
    {
        Assert.Equal(0, RobustScore.Normalise(-1), 12);
        Assert.Equal(100, RobustScore.Normalise(1), 12);
        Assert.Equal(100 * (1 - 1 / Math.E) / (Math.E - 1 / Math.E), RobustScore.Normalise(0), 12);   // 26.894…
        Assert.Equal(26.894142, RobustScore.Normalise(0), 5);
    }

    [Fact]
    public void TheScoresWeighTheirTwoDifferences()
    {
        // HLR 0.20, IOR 0.10, w 0.5: α = 0.05 − 0.10 = −0.05.
        Assert.Equal(100 * (Math.Exp(-0.05) - Math.Exp(-1)) / (Math.E - Math.Exp(-1)), RobustScore.LabelRobust(0.20, 0.10, 0.5), 12);
        // w 1 counts only the improvement over random, w 0 only the recovery's shortfall.
        Assert.Equal(RobustScore.Normalise(0.10), RobustScore.LabelRobust(0.20, 0.10, 1), 12);
        Assert.Equal(RobustScore.Normalise(-0.20), RobustScore.LabelRobust(0.20, 0.10, 0), 12);
        // γ 0.25: β = 0.25·0.08 + 0.75·0.02 = 0.035.
        Assert.Equal(RobustScore.Normalise(0.035), RobustScore.AugmentationRobust(0.08, 0.02, 0.25), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => RobustScore.LabelRobust(0, 0, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RobustScore.AugmentationRobust(0, 0, double.NaN));
    }
}
