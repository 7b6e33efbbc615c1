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
}
