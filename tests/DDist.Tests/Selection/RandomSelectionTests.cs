using DDist.Selection;
using DDist.Tests.Training;

namespace DDist.Tests.Selection;

public class RandomSelectionTests
{
    [Fact]
    public void TakesIpcDistinctImagesPerClassInClassOrder()
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 1);
        using var set = RandomSelection.Select(data, 4, seed: 7, "none");
        Assert.Equal(12, set.Count);
        Assert.All(set.IsDistilled, d => Assert.False(d));
        Assert.Equal(12, set.SourceIndex.Distinct().Count());
        var labels = set.Labels.ToArray<long>();
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], labels);
        var all = data.Labels.ToArray<long>();
        Assert.All(Enumerable.Range(0, 12), i => Assert.Equal(all[set.SourceIndex[i]], labels[i]));
        // Pixels are the source images'.
        using var source = data.Images.IndexSelect(0, DDist.Torch.Tensors.FromArray(set.SourceIndex));
        Assert.Equal(source.ToArray<float>(), set.Images.ToArray<float>());
        Assert.Equal(("random", 4, 7UL), (set.Info.Method, set.Info.Ipc, set.Info.Seed));
    }

    [Fact]
    public void SeedDecidesTheChoice()
    {
        using var data = SyntheticData.Blobs(300, 3, seed: 1);
        using var a = RandomSelection.Select(data, 5, seed: 1, "none");
        using var b = RandomSelection.Select(data, 5, seed: 1, "none");
        using var c = RandomSelection.Select(data, 5, seed: 2, "none");
        Assert.Equal(a.SourceIndex, b.SourceIndex);
        Assert.NotEqual(a.SourceIndex, c.SourceIndex);
    }

    [Fact]
    public void TooFewImagesInAClassIsAnError()
    {
        using var data = SyntheticData.Blobs(9, 3, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => RandomSelection.Select(data, 4, seed: 1, "none"));
        Assert.Contains("class 0", e.Message);
        Assert.Contains("fewer than ipc 4", e.Message);
    }

    /// <summary>Class counts draw that many of each class (none of a class counted 0); equal counts draw what an IPC
    /// draws with the same seed, so a set's random sets are the same either way.</summary>
    [Fact]
    public void ClassCountsDrawThatManyOfEachClassAndEqualCountsDrawAsTheIpc()
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 1);
        using var unequal = RandomSelection.Select(data, [2, 0, 5], seed: 7, "none");
        Assert.Equal([0, 0, 2, 2, 2, 2, 2], unequal.Labels.ToArray<long>());
        Assert.Equal(7, unequal.SourceIndex.Distinct().Count());
        Assert.Equal((5, "2,0,5"), (unequal.Info.Ipc, unequal.Info.Parameters["per_class"]));

        using var counted = RandomSelection.Select(data, [4, 4, 4], seed: 7, "none");
        using var ipc = RandomSelection.Select(data, 4, seed: 7, "none");
        Assert.Equal(ipc.SourceIndex, counted.SourceIndex);
        Assert.Equal(ipc.Info.Parameters, counted.Info.Parameters);

        Assert.Throws<ArgumentException>(() => RandomSelection.Select(data, [1, 1], seed: 7, "none"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomSelection.Select(data, [0, 0, 0], seed: 7, "none"));
        Assert.Contains("fewer than ipc 30", Assert.Throws<ArgumentException>(() => RandomSelection.Select(data, [1, 30, 1], seed: 7, "none")).Message);
    }
}
