using System.Text.RegularExpressions;
using DDist.Reporting;

namespace DDist.Tests.Reporting;

/// <summary>Headless Chromium (Debian package `chromium`; ./build.sh test installs it).</summary>
internal static class Chromium
{
    public static string? Path { get; } = new[] { "chromium", "chromium-browser" }
        .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => System.IO.Path.Combine(dir, name)))
        .FirstOrDefault(File.Exists);

    /// <summary>Screenshot of <paramref name="html"/> at 1200 pixels wide, decoded.</summary>
    public static RenderedPng Screenshot(string html, string workDir, int height = 4000)
    {
        var png = System.IO.Path.Combine(workDir, System.IO.Path.GetFileNameWithoutExtension(html) + ".screenshot.png");
        var run = ChildProcess.Run(Path ?? throw new InvalidOperationException("chromium not installed"),
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             $"--user-data-dir={System.IO.Path.Combine(workDir, "chromium-profile")}",
             $"--screenshot={png}", $"--window-size=1200,{height}", new Uri(html).AbsoluteUri],
            TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0 && File.Exists(png), $"chromium exited {run.ExitCode} without {png}:\n{run.Stderr}");
        return new RenderedPng(File.ReadAllBytes(png));
    }
}

/// <summary>Needs Chromium: skipped, with the reason, where it is missing — except under CI (CI=true), where
/// ./build.sh test has installed it, so a missing browser fails the test instead of hiding it.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null && Environment.GetEnvironmentVariable("CI") is not ("true" or "1"))
            Skip = "chromium not found on PATH (Debian: apt-get install chromium; ./build.sh test installs it)";
    }
}

public sealed class HtmlScreenshotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-html-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Rgb TableHeader = new(0xdd, 0xe6, 0xf0);   // th background in HtmlReport's style

    [ChromiumFact]
    public void ScreenshotShowsTheTablesAndThePictures()
    {
        SavedRunFolder.Write(_dir);
        RunReport.Rebuild(_dir);
        var html = Path.Combine(_dir, HtmlReport.ReportFile);
        // The same page without its pictures: what the screenshot would show if the embedded images did not load.
        var bare = Path.Combine(_dir, "bare.html");
        File.WriteAllText(bare, Regex.Replace(File.ReadAllText(html), "<img [^>]*>", ""));

        var shot = Chromium.Screenshot(html, _dir);
        var without = Chromium.Screenshot(bare, _dir);
        Assert.Equal((1200, 4000), (shot.Width, shot.Height));
        int text = shot.Count(new Rgb(0x22, 0x22, 0x22), tolerance: 60);      // body text colour in HtmlReport's style
        Assert.True(text > 2000, $"screenshot nearly blank: {text} text pixels");

        // Tables: their header cells are on both pages, first the accuracy table near the top.
        int headerCells = shot.Count(TableHeader, tolerance: 6);
        Assert.True(headerCells > 5000, $"{headerCells} table-header pixels");
        Assert.True(without.Count(TableHeader, tolerance: 6) > 5000);
        int firstHeaderRow = FirstRow(shot, TableHeader);
        Assert.InRange(firstHeaderRow, 50, 400);

        // Pictures: the series colour of the plots and the orange frames of distilled images, below the first table,
        // on the page with images only.
        var series = Rgb.Palette[0];
        int plotted = shot.Count(series, tolerance: 30), bareSeries = without.Count(series, tolerance: 30);
        Assert.True(plotted > 5000, $"{plotted} plot pixels in the screenshot");
        Assert.True(bareSeries < 100, $"{bareSeries} plot-coloured pixels on the page without images");
        Assert.True(FirstRow(shot, series) > firstHeaderRow, "plots drawn above the accuracy table");
        Assert.True(shot.Count(Rgb.Orange, tolerance: 30) > 100, "no distilled-image frames in the screenshot");
        Assert.True(without.Count(Rgb.Orange, tolerance: 30) < 10);
    }

    private static int FirstRow(RenderedPng png, Rgb c)
    {
        for (int y = 0; y < png.Height; y++)
            if (png.Count(c, 0, y, png.Width, y + 1) > 20) return y;
        return -1;
    }
}
