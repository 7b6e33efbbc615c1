using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace DDist.Cli;

/// <summary>Shows <see cref="ProgressReport"/>s on stderr: Spectre progress bars (one per stage, with percentage,
/// ETA, loss, accuracy and rate) on a terminal, or plain throttled lines when stderr is redirected.</summary>
public static class ProgressView
{
    public static T Run<T>(CliContext ctx, Func<IProgress<ProgressReport>, T> work)
    {
        bool terminal = ReferenceEquals(ctx.Error, Console.Error) && !Console.IsErrorRedirected;
        if (!terminal) return work(new PlainLines(ctx.Error));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(pc => work(new Bars(pc)));
    }

    /// <summary>"loss 0.412  acc 83.1%  test 81.0%  1,530 img/s" from whatever metrics a report carries.</summary>
    internal static string FormatMetrics(IReadOnlyDictionary<string, double>? m)
    {
        if (m is null) return "";
        var parts = new List<string>();
        if (m.TryGetValue("epoch", out var ep)) parts.Add($"ep {ep:0}");
        if (m.TryGetValue("loss", out var loss)) parts.Add($"loss {loss:0.0000}");
        if (m.TryGetValue("acc", out var acc)) parts.Add($"acc {acc:P1}");
        if (m.TryGetValue(Distillation.BestIteration.AverageAccuracyKey, out var avg)) parts.Add($"average {avg:P1}");
        if (m.TryGetValue("test_acc", out var test) && !double.IsNaN(test)) parts.Add($"test {test:P2}");
        if (m.TryGetValue(Evaluation.EvaluatorBinding.ValidationAccuracyKey, out var val) && !double.IsNaN(val)) parts.Add($"val {val:P2}");
        if (m.TryGetValue("img/s", out var rate)) parts.Add($"{rate:N0} img/s");
        foreach (var (k, v) in m)
            if (k is not ("epoch" or "loss" or "acc" or "test_acc" or Evaluation.EvaluatorBinding.ValidationAccuracyKey or "img/s" or "lr"
                          or Distillation.BestIteration.AverageAccuracyKey)) parts.Add($"{k} {v.ToString("G4", CultureInfo.InvariantCulture)}");
        return string.Join("  ", parts);
    }

    // The same stage name comes back when the same kind of work runs again (each compared row's evaluation networks are
    // "mtt net 1/3" … in turn): a report whose count went down starts a new run of it, with its own bar and clock, so
    // a finished bar is not dragged back to zero and the ETA counts only the current run's pace.

    private sealed class Bars(ProgressContext context) : IProgress<ProgressReport>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new();

        public void Report(ProgressReport r)
        {
            if (!_tasks.TryGetValue(r.Stage, out var task) || r.Done < task.Value)
            {
                task?.StopTask();
                _tasks[r.Stage] = task = context.AddTask(Markup.Escape(r.Stage), maxValue: Math.Max(r.Total, 1));
            }
            task.MaxValue = Math.Max(r.Total, 1);
            task.Value = Math.Min(r.Done, task.MaxValue);
            var metrics = FormatMetrics(r.Metrics);
            task.Description = Markup.Escape(metrics.Length == 0 ? r.Stage : $"{r.Stage}  {metrics}");
        }
    }

    /// <summary>One line per stage at most every few seconds, and one when a stage starts or completes.</summary>
    /// <param name="now">The time since some fixed start (a test's own clock; a stopwatch otherwise).</param>
    internal sealed class PlainLines(TextWriter error, Func<TimeSpan>? now = null) : IProgress<ProgressReport>
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
        private readonly Func<TimeSpan> _now = now ?? StopwatchClock();
        private readonly Dictionary<string, (TimeSpan Start, TimeSpan? Last, long FirstDone, long Done)> _stages = new();

        public void Report(ProgressReport r)
        {
            var t = _now();
            if (!_stages.TryGetValue(r.Stage, out var s) || r.Done < s.Done) s = (t, null, r.Done, r.Done);
            bool finished = r.Done >= r.Total;
            _stages[r.Stage] = s with { Done = r.Done };
            if (!finished && s.Last is { } last && t - last < Interval) return;
            _stages[r.Stage] = s with { Last = t, Done = r.Done };
            double fraction = r.Total > 0 ? (double)r.Done / r.Total : 1;
            string eta = "";
            long doneHere = r.Done - s.FirstDone;
            if (!finished && doneHere > 0)
                eta = $"  eta {TimeSpan.FromSeconds((t - s.Start).TotalSeconds / doneHere * (r.Total - r.Done)):hh\\:mm\\:ss}";
            string metrics = FormatMetrics(r.Metrics);
            error.WriteLine($"[{r.Stage}] {r.Done}/{r.Total} ({fraction:P0}){(metrics.Length > 0 ? "  " + metrics : "")}{eta}");
        }

        private static Func<TimeSpan> StopwatchClock()
        {
            var clock = Stopwatch.StartNew();
            return () => clock.Elapsed;
        }
    }
}
