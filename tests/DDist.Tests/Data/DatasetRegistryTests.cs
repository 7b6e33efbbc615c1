using DDist.Data;

namespace DDist.Tests.Data;

public class DatasetRegistryTests
{
    [Fact]
    public void UnknownName_ListsTheValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetRegistry.Canonical("svhn"));
        Assert.Contains("unknown dataset 'svhn'", e.Message);
        foreach (var name in new[] { "mnist", "fashion-mnist", "cifar10", "cifar100", "tiny-imagenet", "folder:PATH" })
            Assert.Contains(name, e.Message);
    }

    [Theory]
    [InlineData("MNIST", "mnist")]
    [InlineData("FashionMNIST", "fashion-mnist")]
    [InlineData("CIFAR10", "cifar10")]
    [InlineData("cifar-100", "cifar100")]
    [InlineData("Tiny", "tiny-imagenet")]
    [InlineData(" folder:/x/Y ", "folder:/x/Y")]
    public void Canonical_AcceptsReferenceSpellings(string name, string canonical) =>
        Assert.Equal(canonical, DatasetRegistry.Canonical(name));

    /// <summary>A relative image folder is made absolute from the current folder, so the name a set records finds the same
    /// images from anywhere (a set of "folder:." was read against whatever folder a later command ran in).</summary>
    [Fact]
    public void Canonical_MakesAFolderPathAbsolute()
    {
        Assert.Equal("folder:" + Path.GetFullPath("images/train"), DatasetRegistry.Canonical("folder:images/train"));
        Assert.Equal("folder:" + Path.GetFullPath("."), DatasetRegistry.Canonical("folder:."));
        Assert.True(Path.IsPathRooted(DatasetRegistry.Canonical("folder:../x")[7..]));
    }

    [Fact]
    public void FolderWithoutPath_IsAnError() =>
        Assert.Throws<ArgumentException>(() => DatasetRegistry.Canonical("folder:"));

    [Fact]
    public void Specs_HaveReferenceSizes()
    {
        var tiny = DatasetRegistry.GetSpec("tiny-imagenet");
        Assert.Equal((100_000, 10_000, 200, 64), (tiny.TrainCount, tiny.TestCount, tiny.NumClasses, tiny.Height));
        var c100 = DatasetRegistry.GetSpec("cifar100");
        Assert.Equal((50_000, 10_000, 100), (c100.TrainCount, c100.TestCount, c100.NumClasses));
        Assert.Null(DatasetRegistry.TryGetSpec("folder:/tmp"));
    }

    [Fact]
    public void Load_FindsDatasetUnderDataRoot()
    {
        using var dir = new TempDir();
        var locator = new DatasetLocator(dir.Path, installedCopies: new Dictionary<string, IReadOnlyList<string>>());
        var e = Assert.Throws<DirectoryNotFoundException>(() => DatasetRegistry.Load("cifar10", locator));
        Assert.Contains(dir.Combine("cifar10"), e.Message);
        Assert.Contains("ddist data import cifar10", e.Message);
        Assert.Contains("ddist data fetch cifar10", e.Message);

        // A (small) CIFAR-10 in <data root>/cifar10/cifar-10-batches-bin is found, and its sizes are checked.
        CifarReaderTests.WriteCifar10(dir, "cifar10/cifar-10-batches-bin");
        Assert.Equal(dir.Combine("cifar10", "cifar-10-batches-bin"), locator.Locate("cifar10"));
        var sizes = Assert.Throws<InvalidDataException>(() => DatasetRegistry.Load("cifar10", locator));
        Assert.Contains("2 records, expected 10000", sizes.Message);
    }
}
