using DDist.Cli;

namespace DDist.Tests.Cli;

/// <summary>The plain progress lines (stderr redirected: CI, Slurm logs): throttled per stage, and a stage name that
/// comes back for another run of the same work (each compared row's "mtt net 1/3") starts afresh.</summary>
public sealed class ProgressViewTests
{
    private sealed class Clock { public TimeSpan Now; }

    private static (ProgressView.PlainLines View, StringWriter Lines, Clock Clock) View()
    {
        var (lines, clock) = (new StringWriter(), new Clock());
        return (new ProgressView.PlainLines(lines, () => clock.Now), lines, clock);
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void LinesAreThrottledAndTheEtaFollowsThePace()
    {
        var (view, lines, clock) = View();
        view.Report(new ProgressReport("net 1/3", 0, 10));
        clock.Now = TimeSpan.FromSeconds(2);
        view.Report(new ProgressReport("net 1/3", 1, 10));   // within 5 s of the last line: not printed
        clock.Now = TimeSpan.FromSeconds(8);
        view.Report(new ProgressReport("net 1/3", 4, 10, new Dictionary<string, double> { ["loss"] = 0.5 }));
        clock.Now = TimeSpan.FromSeconds(9);
        view.Report(new ProgressReport("net 1/3", 10, 10));   // completion always shows
        Assert.Equal(["[net 1/3] 0/10 (0 %)", "[net 1/3] 4/10 (40 %)  loss 0.5000  eta 00:00:12", "[net 1/3] 10/10 (100 %)"], Lines(lines));
    }

    [Fact]
    public void AStageThatComesBackStartsAfreshWithItsOwnClock()
    {
        var (view, lines, clock) = View();
        view.Report(new ProgressReport("net 1/3", 0, 10));
        clock.Now = TimeSpan.FromSeconds(100);
        view.Report(new ProgressReport("net 1/3", 10, 10));
        // The next row's network: shown at once (not throttled by the last row's line), its ETA from its own start
        // (8 s for 4 epochs, 6 left: 12 s), not from the first row's (108 s for 4: 162 s).
        clock.Now = TimeSpan.FromSeconds(101);
        view.Report(new ProgressReport("net 1/3", 0, 10));
        clock.Now = TimeSpan.FromSeconds(109);
        view.Report(new ProgressReport("net 1/3", 4, 10));
        Assert.Equal(["[net 1/3] 0/10 (0 %)", "[net 1/3] 10/10 (100 %)", "[net 1/3] 0/10 (0 %)", "[net 1/3] 4/10 (40 %)  eta 00:00:12"], Lines(lines));
    }
}
