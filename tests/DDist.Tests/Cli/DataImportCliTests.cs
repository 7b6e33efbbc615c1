using DDist.Data;
using DDist.Tests.Data;

namespace DDist.Tests.Cli;

/// <summary>`ddist data import` run as a set-up script runs it: in its own process, with its own DDIST_ROOT.</summary>
public sealed class DataImportCliTests : IDisposable
{
    private readonly TempDir _root = new();
    public void Dispose() => _root.Dispose();

    private (int Code, string Out, string Err) Ddist(params string[] args)
    {
        var run = ChildProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "DDist.Cli.dll"), .. args], TimeSpan.FromMinutes(5),
                                   [new("DDIST_ROOT", _root.Path)]);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }

    /// <summary>Importing what is installed already is done (exit 0, nothing read or changed, the way to replace it
    /// named); --replace puts the new copy in place; `data fetch --from` behaves as import does.</summary>
    [RealDataFact("fashion-mnist")]
    public void ImportingAnInstalledDatasetAgainIsDoneAndReplaceSwapsTheCopy()
    {
        var first = Ddist("data", "import", "fashion-mnist", DatasetLocator.DebianFashionMnist, "--symlink");
        Assert.True(first.Code == 0, first.Err);
        var file = new FileInfo(Path.Combine(_root.Path, "data", "fashion-mnist", "train-images-idx3-ubyte.gz"));
        Assert.NotNull(file.LinkTarget);

        foreach (var again in new[] { Ddist("data", "import", "fashion-mnist", DatasetLocator.DebianFashionMnist),
                                      Ddist("data", "fetch", "fashion-mnist", "--from", DatasetLocator.DebianFashionMnist) })
        {
            Assert.True(again.Code == 0, again.Err);
            Assert.Contains("already installed in", again.Out);
            Assert.Contains("--replace", again.Out);
        }
        Assert.NotNull(new FileInfo(file.FullName).LinkTarget);               // untouched

        var replaced = Ddist("data", "import", "fashion-mnist", DatasetLocator.DebianFashionMnist, "--replace", "--json");
        Assert.True(replaced.Code == 0, replaced.Err);
        Assert.Contains("\"imported\": true", replaced.Out);
        Assert.Null(new FileInfo(file.FullName).LinkTarget);                  // a copy now
    }
}
