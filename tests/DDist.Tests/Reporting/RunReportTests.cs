using DDist.Reporting;

namespace DDist.Tests.Reporting;

/// <summary>`ddist report DIR` rebuilds report.md and report.html from the saved files alone.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-runreport-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DDist.Tests.Cli.CliResult Cli(params string[] args) => DDist.Tests.Cli.CliRun.RunOnThreads(1, args);

    [Fact]
    public void ReportCommandRebuildsFromSavedFilesWithoutTheDataset()
    {
        SavedRunFolder.Write(_dir);
        var r = Cli("report", _dir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("report.html", r.Out);
        var md = File.ReadAllText(Path.Combine(_dir, MarkdownReport.ReportFile));
        Assert.Contains("# saved run", md);
        Assert.Contains("- dataset toy, IPC 4", md);
        Assert.Contains("## Accuracy (test set, 100 images)", md);
        Assert.Contains("| Random | 61.00 ± 2.00 | 2 | 0.0 s |  |", md);
        Assert.Contains("| SelMatch | 83.00 ± 1.00 | 2 | 5 min 00 s | α 0.5, β 0.25 |", md);
        Assert.True(md.IndexOf("| Random", StringComparison.Ordinal) < md.IndexOf("| SelMatch", StringComparison.Ordinal), "rows out of table order");
        Assert.Contains("| **total** | **8 min 08 s** |", md);
        Assert.Contains("Best β = 0.25 (test)", md);
        Assert.DoesNotContain("set by the recipe", md);                       // the β used (pipeline.json) is the best one
        Assert.Contains("- SelMatch: loss 0.9100 over the first 10 iterations", md);
        Assert.DoesNotContain("MTT:", md);                                    // no mtt/loss.json saved
        var html = File.ReadAllText(Path.Combine(_dir, HtmlReport.ReportFile));
        foreach (var png in new[] { "stages.png", "window.png", "loss.png", "grids.png" })
        {
            Assert.Contains($"({png})", md);
            Assert.Contains(Convert.ToBase64String(File.ReadAllBytes(Path.Combine(_dir, png))), html);
        }
        var grid = new RenderedPng(File.ReadAllBytes(Path.Combine(_dir, "grids.png")));
        Assert.True(grid.Count(Rgb.Orange) > 100, "no orange frames of distilled images in the grids");
    }

    [Fact]
    public void ARunThatHasNotReachedItsReportIsNamed()
    {
        SavedRunFolder.Write(_dir, header: false);
        var r = Cli("report", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(RunReport.HeaderFile, r.Err);
        Assert.Contains("experts, scores", r.Err);                           // the stages done so far
        Assert.False(File.Exists(Path.Combine(_dir, MarkdownReport.ReportFile)));
    }

    [Fact]
    public void ACorruptSavedFileIsNamed()
    {
        SavedRunFolder.Write(_dir);
        var window = Path.Combine(_dir, "window", "window.json");
        File.WriteAllText(window, "{ \"Points\": 3 ");
        var r = Cli("report", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(window, r.Err);
        File.Delete(window);
        File.WriteAllText(Path.Combine(_dir, "selmatch", "loss.json"), "[1, 2]");
        r = Cli("report", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("loss.json", r.Err);
    }
}
