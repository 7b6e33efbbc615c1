using DDist.Data;
using DDist.Torch;

namespace DDist.Tests.Data;

public class SubsetTests
{
    private static RawImageSet Numbered(int[] labels) =>
        new(labels.Select((_, i) => (byte)i).ToArray(), labels, labels.Length, 1, 1, 1, ["a", "b", "c"]);

    private static readonly int[] Labels = [2, 0, 1, 0, 2, 2, 1, 0, 0];

    [Fact]
    public void IndicesByClass_KeepOriginalOrder()
    {
        var raw = Numbered(Labels);
        Assert.Equal([[1, 3, 7, 8], [2, 6], [0, 4, 5]], raw.IndicesByClass());
        using var data = ImageDataset.FromRaw(raw, Normalization.Identity(1), Device.Cpu);
        Assert.Equal([[1L, 3, 7, 8], [2L, 6], [0L, 4, 5]], data.IndicesByClass());
        Assert.Equal([4, 2, 3], raw.ClassCounts());
    }

    [Fact]
    public void ImageDatasetSubset_SelectsRowsInOrder()
    {
        using var data = ImageDataset.FromRaw(Numbered(Labels), Normalization.Identity(1), Device.Cpu, "n");
        using var subset = data.Subset([5, 1, 6]);
        Assert.Equal(3, subset.Count);
        Assert.Equal([2L, 0, 1], subset.Labels.ToArray<long>());
        Assert.Equal([5 / 255f, 1 / 255f, 6 / 255f], subset.Images.ToArray<float>());
        Assert.Equal("n", subset.Name);
    }

    [Fact]
    public void RawSubset_CopiesPixelsAndChecksIndices()
    {
        var raw = Numbered(Labels);
        var subset = raw.Subset([8, 0]);
        Assert.Equal([8, 0], subset.Pixels);
        Assert.Equal([0, 2], subset.Labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => raw.Subset([9]));
    }

    [Fact]
    public void Samplers_AreBalancedDeterministicAndClassMajor()
    {
        Assert.Equal([1, 3, 2, 6, 0, 4], SubsetSampler.FirstPerClass(Labels, 3, 2));
        var a = SubsetSampler.ClassBalanced(Labels, 3, 2, seed: 5);
        Assert.Equal(a, SubsetSampler.ClassBalanced(Labels, 3, 2, seed: 5));
        Assert.Equal([0, 0, 1, 1, 2, 2], a.Select(i => Labels[i]));
        Assert.True(a[0] < a[1] && a[2] < a[3] && a[4] < a[5]);
        var e = Assert.Throws<ArgumentException>(() => SubsetSampler.ClassBalanced(Labels, 3, 3, seed: 1));
        Assert.Contains("class 1 has 2 images", e.Message);
        var r = SubsetSampler.Random(100, 10, seed: 2);
        Assert.Equal(10, r.Distinct().Count());
        Assert.Equal(r.Order(), r);
        Assert.NotEqual(r, SubsetSampler.Random(100, 10, seed: 3));
    }

    [RealDataFact("mnist")]
    public void BalancedSubsetOfRealMnist()
    {
        var train = RealMnist.Mnist.Train;
        var indices = SubsetSampler.ClassBalanced(train.Labels, 10, 10, seed: 0);
        var subset = train.Subset(indices);
        Assert.All(subset.ClassCounts(), c => Assert.Equal(10, c));
    }
}
