using DDist.Models;
using DDist.Selection;
using DDist.Tests.Data;
using DDist.Tests.Training;

namespace DDist.Tests.Selection;

/// <summary>Forgetting runs kept on disk (one scheduler task per run, or a resumed computation) combine into exactly
/// the scores of one process training every run.</summary>
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

        // DeepCore's rule scores them 0: no never-learned example is among the most forgotten.
        var deepCore = trainer.Run(options with { NeverLearned = "zero" }, runDir: dir.Path);
        Assert.All(Enumerable.Range(0, run.Counts.Length).Where(i => run.NeverLearned[i]), i => Assert.Equal(0.0, deepCore.Scores[i]));
        Assert.Contains("DeepCore", deepCore.Source);
    }
}
