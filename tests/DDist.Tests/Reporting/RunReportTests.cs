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

    /// <summary>The evaluations each distillation made to choose its best iteration are tabled by iteration, the kept
    /// one and any diverged networks named; a distill.json from before they were kept adds no table, and a damaged one
    /// is named.</summary>
    [Fact]
    public void TheAccuracyDuringDistillationIsTabledByIteration()
    {
        SavedRunFolder.Write(_dir);
        var selmatch = Path.Combine(_dir, "selmatch", "distill.json");
        File.WriteAllText(selmatch, """{ "best_iteration": 100, "selected_on": "validation split" }""");
        Assert.True(Cli("report", _dir).Code == 0);
        Assert.DoesNotContain("## Accuracy during distillation", File.ReadAllText(Path.Combine(_dir, MarkdownReport.ReportFile)));

        File.WriteAllText(selmatch, """
            { "best_iteration": 50, "selected_on": "validation split", "selection_curve": [
              { "Iteration": 0, "Mean": 0.7, "Std": 0.01, "Diverged": 0 }, { "Iteration": 50, "Mean": 0.8, "Std": 0.02, "Diverged": 1 },
              { "Iteration": 100, "Mean": 0.75, "Std": 0, "Diverged": 0 } ] }
            """);
        Directory.CreateDirectory(Path.Combine(_dir, "mtt"));
        File.WriteAllText(Path.Combine(_dir, "mtt", "distill.json"), """
            { "best_iteration": 100, "selected_on": "validation split", "selection_curve": [
              { "Iteration": 0, "Mean": 0.6, "Std": 0 }, { "Iteration": 100, "Mean": 0.65, "Std": 0.005 } ] }
            """);
        var r = Cli("report", _dir);
        Assert.True(r.Code == 0, r.Err);
        var md = File.ReadAllText(Path.Combine(_dir, MarkdownReport.ReportFile));
        Assert.Contains("## Accuracy during distillation", md);
        Assert.Contains("on the validation split", md);
        Assert.Contains("| Iteration | SelMatch | MTT |", md);
        Assert.Contains("| 0 | 70.00 ± 1.00 | 60.00 ± 0.00 |", md);
        Assert.Contains("| 50 | 80.00 ± 2.00 (1 diverged) (kept) | – |", md);
        Assert.Contains("| 100 | 75.00 ± 0.00 | 65.00 ± 0.50 (kept) |", md);

        File.WriteAllText(selmatch, """{ "best_iteration": 50, "selection_curve": [ { "Iteration": "zero" } ] }""");
        var bad = Cli("report", _dir);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains(selmatch, bad.Err);
        Assert.Contains("field 'selection_curve'", bad.Err);
        File.WriteAllText(selmatch, """{ "best_iteration": "fifty", "selection_curve": [ { "Iteration": 50, "Mean": 0.8, "Std": 0 } ] }""");
        var badBest = Cli("report", _dir);
        Assert.NotEqual(0, badBest.Code);
        Assert.Contains("field 'best_iteration' is not an iteration number", badBest.Err);
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
