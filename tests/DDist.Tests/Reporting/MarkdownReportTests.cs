using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
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
                new MethodRow("Random", AccuracyEstimate.Of([0.5, 0.6, 0.7]), TimeSpan.FromSeconds(0.2)),
                new MethodRow("SelMatch", AccuracyEstimate.Of([0.8, 0.8, 0.8]), TimeSpan.FromSeconds(75), "β 1.0"),
            ],
            StageTimes = [("experts", TimeSpan.FromSeconds(61)), ("distill", TimeSpan.FromMinutes(2))],
            Window = new WindowSearchResult(points, 1.0, true, 1234, "test"),
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
        Assert.Contains("Best β = 1", md);
        foreach (var png in new[] { "window.png", "loss.png", "grids.png" })
        {
            Assert.Contains($"({png})", md);
            var (_, h, w) = ImageCodec.Decode(File.ReadAllBytes(Path.Combine(_dir, png)), 3);
            Assert.True(h > 50 && w > 50, $"{png} is {w}×{h}");
        }
    }
}
