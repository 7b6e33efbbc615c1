using DDist.Training;

namespace DDist.Tests.Training;

public class LrScheduleTests
{
    [Fact]
    public void CosineMatchesSelReferenceSequence()
    {
        // SEL: CosineAnnealingLR(T_max = 4, eta_min = 0.001) from lr 0.1, epochs 0..4:
        // 0.001 + 0.099·(1 + cos(π·e/4))/2 = 0.1, 0.0855018, 0.0505, 0.0154982, 0.001
        var s = LrSchedule.CosineTo1Percent(4);
        double[] expected = [0.1, 0.08550183, 0.0505, 0.01549817, 0.001];
        for (int e = 0; e <= 4; e++) Assert.Equal(expected[e], s.LearningRate(e, 0.1), 7);
        Assert.All(Enumerable.Range(0, 5), e => Assert.False(s.ResetsOptimizerBefore(e)));
    }

    [Fact]
    public void StepDecaysAfterEpochHalfPlusOneWithFreshOptimiser()
    {
        // MTT/DC with Epoch = 10: lr for epochs 0..6 (⌊10/2⌋+1 = 6), 0.1·lr for 7..10; optimiser rebuilt before 7.
        var s = LrSchedule.StepAfterHalf(10);
        var lrs = Enumerable.Range(0, 11).Select(e => s.LearningRate(e, 0.01)).ToArray();
        Assert.Equal([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001], lrs.Select(v => Math.Round(v, 12)));
        Assert.Equal([7], Enumerable.Range(0, 11).Where(s.ResetsOptimizerBefore));
        // Odd epoch count: Epoch = 7 decays after epoch 4.
        Assert.Equal([5], Enumerable.Range(0, 8).Where(LrSchedule.StepAfterHalf(7).ResetsOptimizerBefore));
    }

    [Fact]
    public void ConstantNeverChanges()
    {
        Assert.All(Enumerable.Range(0, 20), e => Assert.Equal(0.03, LrSchedule.Constant.LearningRate(e, 0.03)));
    }
}
