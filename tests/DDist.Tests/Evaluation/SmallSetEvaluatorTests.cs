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
    public void ANetworkWhoseLossGoesNonFiniteIsCountedAsDiverged_AndStopsEarlyWithTheAccuracyAFullRunGives()
    {
        using var set = RandomSelection.Select(_train, 10, seed: 1, "none");
        var sane = SmallSetEvaluator.Evaluate(set, _test, Small(nets: 2), seed: 3);
        Assert.Equal(0, sane.Diverged);
        Assert.Equal("", sane.DivergedNote());

        // A step size no network survives: every weight goes NaN within the first epochs.
        var protocol = Small(nets: 2) with { Model = "ConvNet(width=8,depth=1)", LearningRate = 1e12, Epochs = 30 };
        var epochsRun = new List<double>();
        var progress = new SyncProgress<ProgressReport>(p => { if (p.Metrics?.TryGetValue("epoch", out var e) == true) epochsRun.Add(e); });
        var blown = SmallSetEvaluator.Evaluate(set, _test, protocol, seed: 3, progress);
        Assert.Equal(2, blown.Diverged);
        Assert.Contains("(2 of 2 diverged)", blown.Percent());
        Assert.True(epochsRun.Max() < 31, $"trained to epoch {epochsRun.Max()} of 31 after every weight went NaN");

        // Stopping early changes nothing: network 0 trained all 31 epochs tests the same.
        var p0 = protocol.ForSet(set) with { AugmentOptions = protocol.AugmentOptions.WithDatasetRules(_test.Name) };
        var options = p0.ToTrainOptions("full");
        var net = DDist.Models.ModelZoo.Create(p0.Model, _test.Channels, _test.NumClasses, _test.Height, _test.Width);
        DDist.Torch.Tensors.ManualSeed(SeedSequence.Derive(3, "eval-net", 0));
        using var state = TrainingState.Create(net, options, _test.Images.Device);
        var train = new TrainingSet(set.Images.To(DDist.Torch.DType.Float32), set.Labels.To(DDist.Torch.DType.Int64));
        var history = new Trainer(net, options).Train(state, train);
        Assert.Equal(31, history.Count);
        Assert.Contains(history, h => !double.IsFinite(h.Loss));
        Assert.Equal(blown.Accuracies[0], Trainer.Accuracy(net, state.Parameters, state.NetState, _test, p0.TestBatchSize));
    }

    [Fact]
    public void EvalResultStdIsNumpyStd()
    {
        var r = EvalResult.From([0.5, 0.7, 0.9, 0.9], TimeSpan.Zero);
        Assert.Equal(0.75, r.Mean, 12);
        Assert.Equal(Math.Sqrt((0.0625 + 0.0025 + 0.0225 + 0.0225) / 4), r.Std, 12);   // np.std([.5,.7,.9,.9]) = 0.16583
    }

    private static SmallSet Relabelled(SmallSet set, Func<int, bool> distilled, double? learnedLr = null) => new()
    {
        Images = set.Images, Labels = set.Labels, Info = set.Info with { Method = "mixed" }, LearnedLr = learnedLr,
        IsDistilled = set.IsDistilled.Select((_, i) => distilled(i)).ToArray(), SourceIndex = set.SourceIndex,
    };

    /// <summary>SEL's 'combined': DSA (here colour only, which real images never get) on the images the set flags as
    /// distilled, crop+flip on the rest. An all-real set must train exactly as under 'simple'; flagging images
    /// must change the training; and the networks must still learn the separable blobs.</summary>
    [Fact]
    public void CombinedAugmentationRoutesDistilledImagesToDsaAndRealOnesToCropFlip()
    {
        using var random = RandomSelection.Select(_train, 6, seed: 2, "none");
        var mixed = Relabelled(random, i => i % 2 == 0);
        var colour = new AugmentOptions { DsaStrategy = "color" };
        EvalProtocol P(AugMode aug) => Small(aug, nets: 2) with { AugmentOptions = colour };

        var combinedReal = SmallSetEvaluator.Evaluate(random, _test, P(AugMode.Combined), seed: 4);
        var simpleReal = SmallSetEvaluator.Evaluate(random, _test, P(AugMode.Simple), seed: 4);
        Assert.Equal(simpleReal.Accuracies, combinedReal.Accuracies);

        var combinedMixed = SmallSetEvaluator.Evaluate(mixed, _test, P(AugMode.Combined), seed: 4);
        var simpleMixed = SmallSetEvaluator.Evaluate(mixed, _test, P(AugMode.Simple), seed: 4);
        Assert.Equal(simpleReal.Accuracies, simpleMixed.Accuracies);          // 'simple' ignores the flags
        Assert.NotEqual(simpleMixed.Accuracies, combinedMixed.Accuracies);    // 'combined' does not
        Assert.True(combinedMixed.Mean > 0.5, $"combined-augmentation accuracy {combinedMixed.Mean} on separable blobs (chance 0.33)");
        Assert.Equal(combinedMixed.Accuracies, SmallSetEvaluator.Evaluate(mixed, _test, P(AugMode.Combined), seed: 4).Accuracies);
    }

    /// <summary>Whoever builds the protocol, evaluation on a digit dataset never mirrors: a default protocol (flip on)
    /// trains exactly as one with flips removed; on other datasets the flip is kept.</summary>
    [Fact]
    public void EvaluationNeverMirrorsDigits()
    {
        using var digitsTrain = SyntheticData.Blobs(300, 3, seed: 9, size: 8, name: "mnist");
        using var digitsTest = SyntheticData.Blobs(90, 3, seed: 9, size: 8, name: "mnist");
        using var set = RandomSelection.Select(digitsTrain, 6, seed: 2, "none");
        var withFlip = Small(AugMode.Simple, nets: 2) with { AugmentOptions = new AugmentOptions { SimpleFlip = true } };
        var noFlip = Small(AugMode.Simple, nets: 2) with { AugmentOptions = new AugmentOptions { SimpleFlip = false } };
        Assert.Equal(SmallSetEvaluator.Evaluate(set, digitsTest, noFlip, seed: 4).Accuracies,
                     SmallSetEvaluator.Evaluate(set, digitsTest, withFlip, seed: 4).Accuracies);

        var mnist = AugmentOptions.ForDataset("mnist");
        Assert.Equal((false, "color_crop_cutout_scale_rotate"), (mnist.SimpleFlip, mnist.DsaStrategy));
        Assert.Equal("crop", AugmentOptions.ForDataset("mnist", dsaStrategy: "crop_flip").DsaStrategy);
        Assert.Equal(mnist, mnist.WithDatasetRules("mnist"));
        var fashion = AugmentOptions.ForDataset("fashion-mnist");
        Assert.Equal((true, "color_crop_cutout_flip_scale_rotate"), (fashion.SimpleFlip, fashion.DsaStrategy));
    }

    /// <summary>MTT's protocol trains with the set's learned step size (`args.lr_net = syn_lr.item()`); SEL's does not.</summary>
    [Fact]
    public void MttProtocolTrainsWithTheLearnedStepSize()
    {
        using var random = RandomSelection.Select(_train, 6, seed: 2, "none");
        var learned = Relabelled(random, _ => true, learnedLr: 0.2);
        var mtt = EvalProtocol.Mtt(lr: 0.01, model: "ConvNetBN(width=8,depth=1)", epochs: 3) with { Networks = 2, BatchSize = 16, Augmentation = AugMode.None };
        var atLearned = SmallSetEvaluator.Evaluate(learned, _test, mtt, seed: 4);
        Assert.Equal(SmallSetEvaluator.Evaluate(random, _test, mtt with { LearningRate = 0.2 }, seed: 4).Accuracies, atLearned.Accuracies);
        Assert.NotEqual(SmallSetEvaluator.Evaluate(random, _test, mtt, seed: 4).Accuracies, atLearned.Accuracies);
        // The binding the pipeline uses goes through the same rule.
        var bound = EvaluatorBinding.Bind(_test, mtt)(learned, new EvalBudget(3, 2), 4, default);
        Assert.Equal(atLearned.Accuracies, bound.Accuracies);
        var sel = mtt with { Name = "sel", UseLearnedLr = false };
        Assert.Equal(SmallSetEvaluator.Evaluate(random, _test, sel, seed: 4).Accuracies, SmallSetEvaluator.Evaluate(learned, _test, sel, seed: 4).Accuracies);
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
