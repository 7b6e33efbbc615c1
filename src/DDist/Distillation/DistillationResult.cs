using DDist.Artifacts;
using DDist.Evaluation;

namespace DDist.Distillation;

/// <summary>What a distillation run produced: the chosen synthetic set (best at an evaluation point, else the final
/// one), its learned step size, the loss curve, and accuracies (selection split and final test).</summary>
public sealed record DistillationResult(
    SmallSet Set,
    double LearnedLr,
    IReadOnlyList<LossPoint> Curve,
    int BestIteration,
    EvalResult? SelectionAccuracy,
    SelectOn SelectedOn,
    EvalResult? TestAccuracy,
    int ResumedAt,
    int IterationsRun,
    TimeSpan Elapsed,
    TimeSpan StepTime) : IDisposable
{
    /// <summary>Mean wall time of one outer iteration (matching and update only, without evaluations).</summary>
    public double SecondsPerIteration => IterationsRun == 0 ? 0 : StepTime.TotalSeconds / IterationsRun;

    /// <summary>Every evaluation the best-iteration choice made, in iteration order (empty when none was made).</summary>
    public IReadOnlyList<SelectionPoint> SelectionCurve { get; init; } = [];

    /// <summary>Whether the kept set is the images' moving average (FTD) rather than the images themselves.</summary>
    public bool KeptAverage { get; init; }

    /// <summary>"80.60 % at 100, 81.80 % at 200 (kept)": the evaluations in one line, diverged networks named.</summary>
    public string SelectionSummary() => SelectionPoint.Summary(SelectionCurve, BestIteration, KeptAverage);
    public void Dispose() => Set.Dispose();
}
