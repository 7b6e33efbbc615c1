using DDist.Data;

namespace DDist.Tests.Data;

public class DatasetInfoTests
{
    [Fact]
    public void Of_GeneratedCifar_ReportsSizesCountsAndStatistics()
    {
        using var dir = new TempDir();
        CifarReaderTests.WriteCifar10(dir);
        var info = DatasetInfo.Of(CifarReader.ReadCifar10(dir.Path));
        Assert.Equal("cifar10", info.Name);
        Assert.Equal(10, info.NumClasses);
        Assert.Equal((10, 3, 32, 32), (info.Train.Count, info.Train.Channels, info.Train.Height, info.Train.Width));
        Assert.All(info.Train.ClassCounts, c => Assert.Equal(1, c));
        Assert.Equal(3, info.Test.Count);
        // Test images are constant per plane: R = 200, 201, 202 over the three images.
        Assert.Equal(201 / 255.0, info.Test.Mean[0], 10);
        Assert.Equal(Math.Sqrt(2.0 / 3) / 255, info.Test.Std[0], 10);
        Assert.Same(Normalization.Cifar10, info.DefaultNormalization);
    }

    [RealDataFact("fashion-mnist")]
    public void Describe_RealFashionMnist()
    {
        using var dir = new TempDir();
        var info = DatasetInfo.Describe("fashion-mnist", new DatasetLocator(dir.Path));
        Assert.Equal(DatasetLocator.DebianFashionMnist, info.Source);
        Assert.Equal(60000, info.Train.Count);
        Assert.Equal(0.2861, info.Train.Mean[0], 0.0005);
    }
}
