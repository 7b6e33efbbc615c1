using System.Text.Json.Serialization;

namespace DDist.Distillation;

/// <summary>One evaluation of the set during a distillation (at distill.evalIterations, on the selection split): what
/// the best-iteration choice compared, kept so a run shows how accuracy moved with the iterations (MTT logs the same
/// evaluations to wandb), how many networks scored it, and how many of them diverged at the set's learned step size.
/// Networks is 0 where it is not known (files and checkpoints written before it was kept), and written only when known.
/// Average marks the evaluation of the images' moving average (FTD scores it beside the images themselves); written
/// only when set.</summary>
public sealed record SelectionPoint(int Iteration, double Mean, double Std, int Diverged = 0,
                                    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Networks = 0,
                                    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Average = false)
{
    /// <summary>What is said beside the accuracy: " (1 of 2 diverged)" when any network did (" (1 diverged)" where the
    /// count is not known), " (kept)" when the distillation kept this evaluation's set (<paramref name="keptIteration"/>,
    /// and the average or the images as <paramref name="keptAverage"/> says).</summary>
    public string Notes(int keptIteration, bool keptAverage = false) =>
        (Diverged > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({Diverged}{(Networks > 0 ? $" of {Networks}" : "")} diverged)") : "")
        + (Iteration == keptIteration && Average == keptAverage ? " (kept)" : "");

    /// <summary>The evaluations on one line, e.g. "80.60 % at 100, 81.80 % at 200 (kept)" (an average's: "81.90 % at
    /// 200 (average)"), for the run's log.</summary>
    public static string Summary(IEnumerable<SelectionPoint> curve, int keptIteration, bool keptAverage = false) => string.Join(", ", curve.Select(p =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
                      $"{100 * p.Mean:F2} % at {p.Iteration}{(p.Average ? " (average)" : "")}{p.Notes(keptIteration, keptAverage)}")));
}
