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
}
