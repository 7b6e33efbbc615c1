using System.Text.Json.Serialization;

namespace DDist.Distillation;

/// <summary>One evaluation of the set during a distillation (at distill.evalIterations, on the selection split): what
/// the best-iteration choice compared, kept so a run shows how accuracy moved with the iterations (MTT logs the same
/// evaluations to wandb), how many networks scored it, and how many of them diverged at the set's learned step size.
/// Networks is 0 where it is not known (files and checkpoints written before it was kept), and written only when known.</summary>
public sealed record SelectionPoint(int Iteration, double Mean, double Std, int Diverged = 0,
                                    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Networks = 0)
{
    /// <summary>What is said beside the accuracy: " (1 of 2 diverged)" when any network did (" (1 diverged)" where the
    /// count is not known), " (kept)" when the distillation kept this iteration's set (<paramref name="keptIteration"/>).</summary>
    public string Notes(int keptIteration) =>
        (Diverged > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({Diverged}{(Networks > 0 ? $" of {Networks}" : "")} diverged)") : "")
        + (Iteration == keptIteration ? " (kept)" : "");

    /// <summary>The evaluations on one line, e.g. "80.60 % at 100, 81.80 % at 200 (kept)", for the run's log.</summary>
    public static string Summary(IEnumerable<SelectionPoint> curve, int keptIteration) => string.Join(", ", curve.Select(p =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{100 * p.Mean:F2} % at {p.Iteration}{p.Notes(keptIteration)}")));
}
