using System.Diagnostics;
using DDist;

namespace QuickStart;

/// <summary>Prints a stage's progress at most every two seconds (and when it ends): steps done, rate, time left and
/// the latest metrics (loss, accuracy). DDist reports progress through <see cref="IProgress{T}"/> and never writes
/// to the console itself.</summary>
public sealed class ConsoleProgress : IProgress<ProgressReport>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string _stage = "";
    private double _stageStart, _lastPrint = double.NegativeInfinity;

    public void Report(ProgressReport r)
    {
        double now = _clock.Elapsed.TotalSeconds;
        if (r.Stage != _stage) (_stage, _stageStart) = (r.Stage, now);
        bool last = r.Done >= r.Total;
        if (!last && now - _lastPrint < 2) return;
        _lastPrint = now;
        double elapsed = now - _stageStart;
        // A stage's first report comes at its start: no rate until some time has passed.
        var pace = elapsed < 0.5 ? "" : $"{r.Done / elapsed,7:F2}/s  eta {TimeSpan.FromSeconds((r.Total - r.Done) * elapsed / Math.Max(r.Done, 1)):mm\\:ss}";
        var metrics = r.Metrics is null ? "" : string.Join("  ", r.Metrics.Where(m => double.IsFinite(m.Value)).Select(m => $"{m.Key} {m.Value:G4}"));
        Console.WriteLine($"{r.Stage,-14} {r.Done,5}/{r.Total,-5} {pace,-22} {metrics}");
    }
}
