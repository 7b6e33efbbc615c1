using DDist.Models;
using DDist.Selection;
using DDist.Tests.Data;
using DDist.Tests.Training;

namespace DDist.Tests.Selection;

/// <summary>Forgetting runs kept on disk (one scheduler task per run, or a resumed computation) combine into exactly
/// the scores of one process training every run, and a run interrupted mid-way resumes from its checkpoint to the same
/// counts.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class ForgettingRunStoreTests
{
    [Fact]
    public void RunsTrainedSeparatelyCombineToTheScoresOfOneProcess()
    {
        using var dir = new TempDir();
        using var train = SyntheticData.Blobs(120, 3, seed: 5, size: 8);
        INetwork Net() => ModelZoo.Create("ConvNet(width=4,depth=1)", train.Channels, train.NumClasses, train.Height, train.Width);
        var options = new ForgettingOptions { Runs = 2, Epochs = 3, BatchSize = 16, Lr = 0.05, Seed = 7 };
        var trainer = new ForgettingScoreTrainer(Net, train);
        var together = trainer.Run(options);

        // Run 1 first, by itself (another task), then run 0 and the combination.
        var alone = trainer.TrainOrLoad(1, options, dir.Path);
        Assert.True(File.Exists(ForgettingScoreTrainer.RunFile(dir.Path, 1)));
        var stored = File.ReadAllBytes(ForgettingScoreTrainer.RunFile(dir.Path, 1));
        var split = trainer.Run(options, runDir: dir.Path);
        Assert.Equal(stored, File.ReadAllBytes(ForgettingScoreTrainer.RunFile(dir.Path, 1)));   // read back, not retrained
        Assert.Equal(together.Scores, split.Scores);
        Assert.Equal(together.TieBreak, split.TieBreak);
        Assert.Equal(alone.Counts, trainer.TrainOrLoad(1, options, dir.Path).Counts);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainOrLoad(2, options, dir.Path));

        // The same kept runs give learning-speed scores, equal to one process computing them.
        var speed = trainer.Run(options, runDir: dir.Path, kind: ScoreKind.LearningSpeed);
        Assert.Equal(trainer.Run(options, kind: ScoreKind.LearningSpeed).Scores, speed.Scores);
        Assert.Equal(alone.MeanConfidence, trainer.TrainOrLoad(1, options, dir.Path).MeanConfidence);
        Assert.Equal((ScoreKind.LearningSpeed, HardEnd.Low), (speed.Kind, speed.Direction));
        Assert.StartsWith("learning speed", speed.Source);
        Assert.All(speed.Scores, c => Assert.InRange(c, 0.0, 1.0));
        Assert.Throws<ArgumentException>(() => trainer.Run(options, kind: ScoreKind.CScore));
    }

    [Fact]
    public void LearningSpeedRanksMislabelledExamplesHardest()
    {
        // Well-separated blobs with every tenth label moved to the next class: a network learns the rule early and
        // fits the exceptions late if at all, so their true-label confidence stays low (Jiang et al. 2021 find the
        // mislabelled at the low end of the C-score, which learning speed stands in for).
        using var clean = SyntheticData.Blobs(120, 3, seed: 5, size: 8);
        var labels = clean.Labels.ToArray<long>();
        var flipped = Enumerable.Range(0, labels.Length).Where(i => i % 10 == 0).ToArray();
        foreach (var i in flipped) labels[i] = (labels[i] + 1) % 3;
        using var noisy = new DDist.Data.ImageDataset
        {
            Name = clean.Name, Images = clean.Images.Clone(), Labels = DDist.Torch.Tensors.FromArray(labels),
            NumClasses = 3, ClassNames = clean.ClassNames,
        };
        INetwork Net() => ModelZoo.Create("ConvNet(width=8,depth=1)", noisy.Channels, noisy.NumClasses, noisy.Height, noisy.Width);
        var options = new ForgettingOptions { Runs = 2, Epochs = 6, BatchSize = 16, Lr = 0.05, Seed = 7 };
        var speed = new ForgettingScoreTrainer(Net, noisy).Run(options, kind: ScoreKind.LearningSpeed);

        // The hardest 10 % by learning speed are (nearly) the flipped examples.
        var hardest = Enumerable.Range(0, labels.Length).OrderBy(i => speed.Scores[i]).Take(flipped.Length).ToHashSet();
        Assert.True(flipped.Count(hardest.Contains) >= flipped.Length * 0.8,
                    $"{flipped.Count(hardest.Contains)} of {flipped.Length} flipped examples among the {flipped.Length} least confident");
    }

    [Fact]
    public void NeverLearnedFlagsAreKept_AndInferredForRunFilesWrittenWithoutThem()
    {
        using var dir = new TempDir();
        using var train = SyntheticData.Blobs(120, 3, seed: 5, size: 8);
        INetwork Net() => ModelZoo.Create("ConvNet(width=4,depth=1)", train.Channels, train.NumClasses, train.Height, train.Width);
        // A tiny learning rate for 3 epochs leaves many examples never learned.
        var options = new ForgettingOptions { Runs = 1, Epochs = 3, BatchSize = 16, Lr = 1e-4, Seed = 7 };
        var trainer = new ForgettingScoreTrainer(Net, train);
        var run = trainer.TrainOrLoad(0, options, dir.Path);
        Assert.Contains(true, run.NeverLearned);
        Assert.Equal(run.NeverLearned, trainer.TrainOrLoad(0, options, dir.Path).NeverLearned);   // read back

        // A run file of the earlier format (counts and losses only): never learned = counted at every epoch.
        var path = ForgettingScoreTrainer.RunFile(dir.Path, 0);
        using (var scope = new DDist.Torch.TensorScope())
            DDist.Torch.IO.SafeTensors.Save(path, new Dictionary<string, DDist.Torch.Tensor>
            {
                ["counts"] = DDist.Torch.Tensors.FromArray(run.Counts), ["mean_loss"] = DDist.Torch.Tensors.FromArray(run.MeanLoss),
            });
        Assert.Equal(run.NeverLearned, trainer.TrainOrLoad(0, options, dir.Path).NeverLearned);
        // Such a run has no learning speed: forgetting scores still combine, learning-speed scores name the file.
        Assert.Null(trainer.TrainOrLoad(0, options, dir.Path).MeanConfidence);
        var refused = Assert.Throws<InvalidDataException>(() => trainer.Run(options, runDir: dir.Path, kind: ScoreKind.LearningSpeed));
        Assert.Contains(path, refused.Message);
        Assert.Contains("delete the file", refused.Message);

        // DeepCore's rule scores them 0: no never-learned example is among the most forgotten.
        var deepCore = trainer.Run(options with { NeverLearned = "zero" }, runDir: dir.Path);
        Assert.All(Enumerable.Range(0, run.Counts.Length).Where(i => run.NeverLearned[i]), i => Assert.Equal(0.0, deepCore.Scores[i]));
        Assert.Contains("DeepCore", deepCore.Source);
    }

    [Fact]
    public void AnInterruptedRunResumesFromItsCheckpointToTheSameCounts()
    {
        using var dir = new TempDir();
        using var train = SyntheticData.Blobs(120, 3, seed: 5, size: 8);
        INetwork Net() => ModelZoo.Create("ConvNetBN(width=4,depth=1)", train.Channels, train.NumClasses, train.Height, train.Width);
        var options = new ForgettingOptions { Runs = 1, Epochs = 4, BatchSize = 16, Lr = 0.05, Momentum = 0.9, Seed = 7 };
        var trainer = new ForgettingScoreTrainer(Net, train);
        var whole = trainer.TrainOrLoad(0, options, runDir: null);

        // Cancelled after the second epoch's checkpoint: the third epoch stops at its first mini-batch.
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<DDist.ProgressReport>(r => { if (r.Done == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.TrainOrLoad(0, options, dir.Path, progress, cts.Token));
        var checkpoint = ForgettingScoreTrainer.CheckpointFile(dir.Path, 0);
        using (var file = DDist.Torch.IO.SafeTensorsFile.Open(checkpoint)) Assert.Equal("2", file.Metadata["epochs_done"]);
        Assert.False(File.Exists(ForgettingScoreTrainer.RunFile(dir.Path, 0)));

        DDist.Torch.Tensors.ManualSeed(99);
        var resumed = trainer.TrainOrLoad(0, options, dir.Path);
        Assert.Equal(whole.Counts, resumed.Counts);
        Assert.Equal(whole.MeanLoss, resumed.MeanLoss);
        Assert.Equal(whole.NeverLearned, resumed.NeverLearned);
        Assert.False(File.Exists(checkpoint));   // done with once the run is kept
        Assert.True(resumed.Seconds > 0);
        Assert.Equal(resumed.Seconds, trainer.TrainOrLoad(0, options, dir.Path).Seconds);   // kept in the run file
        // A checkpoint left beside the kept run (killed between keeping it and dropping the checkpoint) is dropped.
        File.WriteAllText(checkpoint, "left by a killed run");
        Assert.Equal(whole.Counts, trainer.TrainOrLoad(0, options, dir.Path).Counts);
        Assert.False(File.Exists(checkpoint));

        // A checkpoint of another run's settings is refused by name.
        using var other = new TempDir();
        using var cts2 = new CancellationTokenSource();
        var progress2 = new SyncProgress<DDist.ProgressReport>(r => { if (r.Done == 1) cts2.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.TrainOrLoad(0, options, other.Path, progress2, cts2.Token));
        var refused = Assert.Throws<InvalidDataException>(() => trainer.TrainOrLoad(0, options with { Lr = 0.01 }, other.Path));
        Assert.Contains(ForgettingScoreTrainer.CheckpointFile(other.Path, 0), refused.Message);
        Assert.Contains("lr 0.05", refused.Message);
    }
}
