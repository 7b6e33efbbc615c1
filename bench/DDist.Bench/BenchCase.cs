namespace DDist.Bench;

/// <summary>One measured quantity. The comparison table shows, per metric, how many times better DDist is.</summary>
public sealed record Metric(string Name, double Value, bool HigherIsBetter);

/// <summary>What one bench case reports: its metrics (compared with PyTorch's case of the same name) and free-form
/// details (settings, raw timings, sanity values such as losses).</summary>
public sealed record CaseResult(IReadOnlyList<Metric> Metrics, IReadOnlyDictionary<string, object> Details);

/// <summary>A benchmark case. bench/pytorch/bench.py has a function for each case under the same name, doing the
/// same work, so that results can be put side by side. Register new cases in <see cref="BenchCases.All"/>.</summary>
public interface IBenchCase
{
    string Name { get; }
    CaseResult Run(BenchSettings settings);
    /// <summary>True for a case that does its work in child processes and reports each one's peak itself: the
    /// harness then adds no "peak MiB" of its own process.</summary>
    bool ReportsOwnPeak => false;
}

public static class BenchCases
{
    public static readonly IReadOnlyList<IBenchCase> All = [new ConvNetTrainStep(), new TinyOpOverhead(), new ExpertEpoch(), ExpertEpoch.Gsam(), new EvalRun(), new MttIteration(), new DmIteration(), new DcOuterIteration()];
}
