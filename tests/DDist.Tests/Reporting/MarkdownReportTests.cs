using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Tests.Reporting;

public class MarkdownReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-report-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SmallSet Set(bool[] distilled) => new()
    {
        Images = Tensors.Zeros([distilled.Length, 1, 4, 4]).DetachFromScope(),
        Labels = Tensors.FromArray(Enumerable.Range(0, distilled.Length).Select(i => (long)(i % 2)).ToArray()).DetachFromScope(),
        IsDistilled = distilled,
        SourceIndex = new long[distilled.Length],
        Info = new SmallSetInfo { Dataset = "toy", Normalization = "none", Method = "x", Ipc = distilled.Length / 2, NumClasses = 2 },
    };

    [Fact]
    public void WritesTableStageTimesPlotsAndGrids()
    {
        using var selected = Set([false, false, false, false]);
        using var distilled = Set([true, true, false, false]);
        var points = new[] { 0.0, 0.5, 1.0 }.Select((b, i) => new WindowPoint(b, 0.7 + 0.05 * i, 0.01, [0.69, 0.71], [0, 1], 1, "f")).ToList();
        var input = new ReportInput
        {
            Title = "toy report",
            Settings = ["dataset toy, IPC 2"],
            Rows =
            [
                new MethodRow("Random", EvalResult.From([0.5, 0.6, 0.7]), TimeSpan.FromSeconds(0.2)),
                new MethodRow("SelMatch", EvalResult.From([0.8, 0.8, 0.8]), TimeSpan.FromSeconds(75), "β 1.0"),
            ],
            StageTimes = [("experts", TimeSpan.FromSeconds(61)), ("distill", TimeSpan.FromMinutes(2))],
            Window = new WindowSearchResult(points, 1.0, true, 1234, "test"),
            UsedBeta = 0.5,
            SelMatchLoss = Enumerable.Range(0, 20).Select(i => new LossPoint(i, 1 - 0.01 * i, 0.01)).ToList(),
            Selected = selected,
            Distilled = distilled,
            Normalization = new Normalization("none", [0f], [1f]),
        };
        var path = MarkdownReport.Write(input, _dir);
        var md = File.ReadAllText(path);
        Assert.Contains("| Random | 60.00 ± 8.16 | 3 | 0.2 s |  |", md);
        Assert.Contains("| SelMatch | 80.00 ± 0.00 | 3 | 1 min 15 s | β 1.0 |", md);
        Assert.Contains("| **total** | **3 min 01 s** |", md);
        Assert.Contains("| 0.5 | 75.00 ± 1.00 | 2 |", md);
        Assert.Contains("Best β = 1", md);
        Assert.Contains("The distillation used β = 0.5, set by the recipe.", md);
        var html = File.ReadAllText(Path.Combine(_dir, HtmlReport.ReportFile));
        Assert.Contains("<td>SelMatch</td><td>80.00 ± 0.00</td><td>3</td><td>1 min 15 s</td><td>β 1.0</td>", html);
        Assert.Contains("<tr class=\"total\"><td>total</td><td>3 min 01 s</td></tr>", html);
        foreach (var png in new[] { "window.png", "loss.png", "grids.png", "stages.png" })
        {
            Assert.Contains($"({png})", md);
            var bytes = File.ReadAllBytes(Path.Combine(_dir, png));
            var (_, h, w) = ImageCodec.Decode(bytes, 3);
            Assert.True(h > 50 && w > 50, $"{png} is {w}×{h}");
            Assert.Contains("data:image/png;base64," + Convert.ToBase64String(bytes), html);   // embedded, byte for byte
        }
        Assert.DoesNotContain("src=\"window.png\"", html);
        Assert.DoesNotContain("random pick (reference)", md);   // a folder written before the reference existed
    }

    /// <summary>Stages that measured their tensors' peak get a memory column (GiB past 1024 MiB, "–" where a stage did not
    /// measure it, the largest under the total); without any the table keeps its two columns (above).</summary>
    [Fact]
    public void StagePeaksAddAMemoryColumn()
    {
        var input = new ReportInput
        {
            Title = "toy report",
            Rows = [new MethodRow("Random", EvalResult.From([0.7, 0.7]), TimeSpan.Zero)],
            StageTimes = [("load data", TimeSpan.FromSeconds(2)), ("experts", TimeSpan.FromSeconds(61)), ("distill", TimeSpan.FromMinutes(2))],
            StagePeakMiB = new Dictionary<string, double> { ["experts"] = 412.4, ["distill"] = 1843.2 },
        };
        var md = File.ReadAllText(MarkdownReport.Write(input, _dir));
        Assert.Contains("| Stage | Time | Peak tensor memory |", md);
        Assert.Contains("| load data | 2.0 s | – |", md);
        Assert.Contains("| experts | 1 min 01 s | 412 MiB |", md);
        Assert.Contains("| distill | 2 min 00 s | 1.80 GiB |", md);
        Assert.Contains("| **total** | **3 min 03 s** | **1.80 GiB (most)** |", md);
    }

    /// <summary>A row with diverged networks says so in its cell, in both tables, and the text under the table says why
    /// its accuracy is chance; a report with none says nothing of it.</summary>
    [Fact]
    public void DivergedNetworksAreNamedBesideTheirRow()
    {
        var input = new ReportInput
        {
            Title = "toy report",
            EvaluationModel = "ConvNetW32",
            Rows = [new MethodRow("Random", EvalResult.From([0.7, 0.7]), TimeSpan.Zero), new MethodRow("MTT", EvalResult.From([0.8, 0.1], diverged: 1), TimeSpan.Zero)],
            CrossArchitectures = [("AlexNet", [new MethodRow("Random", EvalResult.From([0.6, 0.6]), TimeSpan.Zero), new MethodRow("MTT", EvalResult.From([0.1, 0.1], diverged: 2), TimeSpan.Zero)])],
        };
        var md = File.ReadAllText(MarkdownReport.Write(input, _dir));
        Assert.Contains("| MTT | 45.00 ± 35.00 (1 of 2 diverged) | 2 |", md);
        Assert.Contains("| MTT | 45.00 ± 35.00 (1 of 2 diverged) | 10.00 ± 0.00 (2 of 2 diverged) |", md);
        Assert.Contains("| Random | 70.00 ± 0.00 | 60.00 ± 0.00 |", md);
        Assert.Equal(2, md.Split("trained to a non-finite loss").Length - 1);   // under each table

        input = input with { Rows = [new MethodRow("Random", EvalResult.From([0.7, 0.7]), TimeSpan.Zero)], CrossArchitectures = [] };
        Assert.DoesNotContain("diverged", File.ReadAllText(MarkdownReport.Write(input, _dir)));

        // A window point whose networks diverged, and a halving candidate's: named in the β table and the rounds.
        var points = new[] { 0.0, 0.5 }.Select((b, i) => new WindowPoint(b, 0.7 - 0.3 * i, 0.01, [0.7, 0.1], [0, 1], 1, "f", Diverged: i)).ToList();
        var halving = new SuccessiveHalvingResult([new HalvingRound(1, new EvalBudget(2, 1), points, [0.0])], 0.0, 100, 200, 0.0, true, "validation split");
        md = File.ReadAllText(MarkdownReport.Write(input with { Window = new WindowSearchResult(points, 0.0, true, 10, "validation split"), Halving = halving }, _dir));
        Assert.Contains("| 0.5 | 40.00 ± 1.00 (1 of 2 diverged) | 2 |", md);
        Assert.Contains("| 0 | 70.00 ± 1.00 | 2 |", md);
        Assert.Contains("0.5: 40.0 (1 of 2 diverged)", md);
        Assert.Equal(1, md.Split("trained to a non-finite loss").Length - 1);
    }

    /// <summary>The random pick trained as the window's points were is a row under the β table, and the text says which
    /// side of it the best window falls.</summary>
    [Theory]
    [InlineData(0.72, "the best window (β 1) beats it by 3.00 points.")]
    [InlineData(0.74, "it and the best window (β 1) are 1.00 points apart, within their spread (2.00).")]
    [InlineData(0.78, "it beats every window, the best (β 1) by 3.00 points: at this IPC")]
    public void TheRandomPickIsTheWindowTablesReference(double random, string verdict)
    {
        var points = new[] { 0.0, 0.5, 1.0 }.Select((b, i) => new WindowPoint(b, 0.7 + 0.025 * i, 0.01, [0.69, 0.71], [0, 1], 1, "f")).ToList();
        var input = new ReportInput
        {
            Title = "toy report",
            Rows = [new MethodRow("Random", EvalResult.From([0.5, 0.6, 0.7]), TimeSpan.Zero)],
            Window = new WindowSearchResult(points, 1.0, true, 1234, "validation split"),
            RandomOnChoice = EvalResult.From([random - 0.01, random + 0.01]),
        };
        var md = File.ReadAllText(MarkdownReport.Write(input, _dir));
        Assert.Contains(FormattableString.Invariant($"| random pick (reference) | {100 * random:F2} ± 1.00 | 2 |"), md);
        Assert.Contains(verdict, md);
    }

    /// <summary>A search over two score kinds gets a column naming each point's kind, one plot line per kind, and the
    /// verdict names the best window's kind; a grid whose older points name no kind stays one kind.</summary>
    [Fact]
    public void PointsOfTwoScoreKindsAreTabledAndDrawnByKind()
    {
        WindowPoint P(double beta, double mean, string? kind) => new(beta, mean, 0.01, [mean - 0.01, mean + 0.01], [0, 1], 1, "f", kind);
        var twoKinds = WindowSearchResult.Combine([
            new([P(0, 0.70, "learning-speed"), P(0.5, 0.76, "learning-speed")], 0.5, true, 10, "validation split"),
            new([P(0, 0.72, "forgetting"), P(0.5, 0.71, "forgetting")], 0, true, 10, "validation split")]);
        var input = new ReportInput
        {
            Title = "kinds", Rows = [new MethodRow("Random", EvalResult.From([0.5, 0.6]), TimeSpan.Zero)],
            Window = twoKinds, UsedBeta = 0.5, UsedScoreKind = "learning-speed", RandomOnChoice = EvalResult.From([0.71, 0.73]),
        };
        var md = File.ReadAllText(MarkdownReport.Write(input, _dir));
        Assert.Contains("| Scores | β | Accuracy (%) | Networks |", md);
        Assert.Contains("| forgetting | 0.5 | 71.00 ± 1.00 | 2 |", md);
        Assert.Contains("| random pick (reference) |  | 72.00 ± 1.00 | 2 |", md);
        Assert.Contains("Best β = 0.5 by learning-speed scores (validation split)", md);
        Assert.Contains("the best window (β 0.5, learning-speed scores) beats it by 4.00 points", md);
        Assert.DoesNotContain("The distillation used", md);
        Assert.Equal(2, WindowPlot.Build(twoKinds.Points, "validation split", 0.5).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Count());

        var mixed = new WindowSearchResult([P(0, 0.70, null), P(0.5, 0.76, "learning-speed")], 0.5, true, 10, "validation split");
        md = File.ReadAllText(MarkdownReport.Write(input with { Window = mixed, UsedScoreKind = null }, _dir));
        Assert.Contains("| β | Accuracy (%) | Networks |", md);
        Assert.Contains("Best β = 0.5 (validation split)", md);
        Assert.Single(WindowPlot.Build(mixed.Points, "validation split", 0.5).GetPlottables().OfType<ScottPlot.Plottables.Scatter>());
        // One kind is listed by β alone, whichever points name it.
        var resumed = new WindowSearchResult([P(0.5, 0.76, null), P(0, 0.70, "learning-speed")], 0.5, true, 10, "validation split");
        md = File.ReadAllText(MarkdownReport.Write(input with { Window = resumed, UsedScoreKind = null }, _dir));
        Assert.True(md.IndexOf("| 0 | 70.00", StringComparison.Ordinal) < md.IndexOf("| 0.5 | 76.00", StringComparison.Ordinal), "rows out of β order");
    }
}

public class ReportTextTests
{
    [Fact]
    public void HtmlEscapesTextAndMarkdownEscapesPipes()
    {
        var blocks = new ReportBlock[]
        {
            new ReportHeading(1, "a <b> & c"),
            new ReportTable(["x", "y"], [["1|2", "<i>"]]),
        };
        var html = HtmlReport.Render(blocks, Path.GetTempPath());
        Assert.Contains("<h1>a &lt;b&gt; &amp; c</h1>", html);
        Assert.Contains("<td>&lt;i&gt;</td>", html);
        Assert.Contains("| 1\\|2 | <i> |", MarkdownText.Render(blocks));
    }

    [Fact]
    public void RaggedTableAndMissingFigureAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => new ReportTable(["a", "b"], [["1"]]).Validated());
        Assert.Contains("1 cells", e.Message);
        var dir = Directory.CreateTempSubdirectory("ddist-html-").FullName;
        try
        {
            var missing = Assert.Throws<FileNotFoundException>(() => HtmlReport.Render([new ReportFigure("nope.png", "a plot")], dir));
            Assert.Contains("nope.png", missing.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
