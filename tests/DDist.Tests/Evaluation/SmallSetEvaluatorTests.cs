using DDist.Artifacts;
using DDist.Augment;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Tests.Training;
using DDist.Training;

namespace DDist.Tests.Evaluation;

[Collection(SerialRngCollection.Name)]
public sealed class SmallSetEvaluatorTests : IDisposable
{
    private readonly DDist.Data.ImageDataset _train = SyntheticData.Blobs(300, 3, seed: 9, size: 8);
    private readonly DDist.Data.ImageDataset _test = SyntheticData.Blobs(90, 3, seed: 9, size: 8);

    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
    }

    private static EvalProtocol Small(AugMode aug = AugMode.None, int nets = 3) => EvalProtocol.Sel("ConvNetBN(width=8,depth=1)", epochs: 4) with
    {
        Augmentation = aug, Networks = nets, BatchSize = 16, LearningRate = 0.05,
    };

    [Fact]
    public void ReturnsMeanAndPopulationStdOverNetworks()
    {
        using var set = RandomSelection.Select(_train, 10, seed: 1, "none");
        var r = SmallSetEvaluator.Evaluate(set, _test, Small(), seed: 3);
        Assert.Equal(3, r.Accuracies.Length);
        Assert.Equal(r.Accuracies.Average(), r.Mean, 12);
        double mean = r.Accuracies.Average();
        Assert.Equal(Math.Sqrt(r.Accuracies.Select(a => (a - mean) * (a - mean)).Sum() / 3), r.Std, 12);
        Assert.True(r.Mean > 0.6, $"mean accuracy {r.Mean} on separable blobs");
        Assert.True(r.Elapsed > TimeSpan.Zero);

        var again = SmallSetEvaluator.Evaluate(set, _test, Small(), seed: 3);
        Assert.Equal(r.Accuracies, again.Accuracies);
    }

    [Fact]
    public void OneNetworkAloneGivesTheAccuracyItHasInTheFullEvaluation()
    {
        using var set = RandomSelection.Select(_train, 10, seed: 1, "none");
        var all = SmallSetEvaluator.Evaluate(set, _test, Small(AugMode.Dsa), seed: 3);
        var second = SmallSetEvaluator.Evaluate(set, _test, Small(AugMode.Dsa) with { OnlyNetwork = 1 }, seed: 3);
        Assert.Equal([all.Accuracies[1]], second.Accuracies);
        Assert.Throws<ArgumentOutOfRangeException>(() => SmallSetEvaluator.Evaluate(set, _test, Small() with { OnlyNetwork = 3 }, seed: 3));
    }

    [Fact]
    public void EvalResultStdIsNumpyStd()
    {
        var r = EvalResult.From([0.5, 0.7, 0.9, 0.9], TimeSpan.Zero);
        Assert.Equal(0.75, r.Mean, 12);
        Assert.Equal(Math.Sqrt((0.0625 + 0.0025 + 0.0225 + 0.0225) / 4), r.Std, 12);   // np.std([.5,.7,.9,.9]) = 0.16583
    }

    [Fact]
    public void CombinedAugmentationTrainsOnMixedSets()
    {
        using var random = RandomSelection.Select(_train, 6, seed: 2, "none");
        using var mixed = new SmallSet
        {
            Images = random.Images, Labels = random.Labels, Info = random.Info with { Method = "mixed" },
            IsDistilled = random.IsDistilled.Select((_, i) => i % 2 == 0).ToArray(), SourceIndex = random.SourceIndex,
        };
        var r = SmallSetEvaluator.Evaluate(mixed, _test, Small(AugMode.Combined, nets: 1), seed: 4);
        Assert.InRange(r.Mean, 0.0, 1.0);
    }

    [Fact]
    public void RejectsSetsOfAnotherShapeOrDataset()
    {
        using var other = SyntheticData.Blobs(30, 3, seed: 1, size: 6);
        using var set = RandomSelection.Select(other, 2, seed: 1, "none");
        var e = Assert.Throws<ArgumentException>(() => SmallSetEvaluator.Evaluate(set, _test, Small(), 0));
        Assert.Contains("1×8×8", e.Message);
        using var renamed = SyntheticData.Blobs(30, 3, seed: 1, size: 8, name: "elsewhere");
        using var set2 = RandomSelection.Select(renamed, 2, seed: 1, "none");
        Assert.Contains("elsewhere", Assert.Throws<ArgumentException>(() => SmallSetEvaluator.Evaluate(set2, _test, Small(), 0)).Message);
    }

    [Fact]
    public void WholeDataTrainerTrainsOnEverything()
    {
        var p = EvalProtocol.WholeData("ConvNet(width=8,depth=1)", epochs: 2) with { BatchSize = 32 };
        var r = WholeDataTrainer.Train(_train, _test, p, seed: 5);
        Assert.Single(r.Accuracies);
        Assert.True(r.Mean > 0.8, $"accuracy {r.Mean}");
        Assert.Equal(0, r.Std);
    }

    [Fact]
    public void PresetsFollowTheReference()
    {
        var sel = EvalProtocol.Sel();
        Assert.Equal(("ResNet18BN", 0.1, 128, LrScheduleKind.Cosine, AugMode.Combined, 5), (sel.Model, sel.LearningRate, sel.BatchSize, sel.Schedule, sel.Augmentation, sel.Networks));
        var mtt = EvalProtocol.Mtt(0.02);
        Assert.Equal(("ConvNet", 0.02, 256, LrScheduleKind.Step, AugMode.Dsa), (mtt.Model, mtt.LearningRate, mtt.BatchSize, mtt.Schedule, mtt.Augmentation));
        var dc = EvalProtocol.Dc();
        Assert.Equal((0.01, 20, false), (dc.LearningRate, dc.Networks, dc.AugmentOptions.Dsa.AlignCorners));
        Assert.All(new[] { sel, mtt, dc }, p => Assert.Equal((0.9, 5e-4), (p.Momentum, p.WeightDecay)));
        var options = EvalProtocol.Sel(epochs: 300).ToTrainOptions("x");
        Assert.Equal(301, options.Epochs);
        Assert.Equal(0.001, options.Schedule.LearningRate(300, 0.1), 12);
    }
}
