using System.Globalization;
using System.Text.Json.Serialization;

namespace DDist.Evaluation;

/// <summary>Accuracies of the networks of one evaluation (on the test set, or on a validation split when a choice is
/// made), their mean and population standard deviation (numpy's np.std, as the reference reports), the wall
/// time of the whole evaluation (zero where it was not measured, e.g. a result read back from files), and how many of
/// the networks diverged: their training loss went non-finite, so they test at whatever NaN weights give (chance,
/// usually) and pull the mean down for a reason that is the step size's, not the set's.</summary>
public sealed record EvalResult(double Mean, double Std, double[] Accuracies, TimeSpan Elapsed = default,
                                [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Diverged = 0)
{
    public static EvalResult From(IReadOnlyList<double> accuracies, TimeSpan elapsed = default, int diverged = 0)
    {
        if (accuracies.Count == 0) throw new ArgumentException("no accuracies to summarise", nameof(accuracies));
        if (diverged < 0 || diverged > accuracies.Count)
            throw new ArgumentOutOfRangeException(nameof(diverged), diverged, $"between 0 and the {accuracies.Count} networks");
        double mean = accuracies.Average();
        double std = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / accuracies.Count);   // np.std: population
        return new EvalResult(mean, std, accuracies.ToArray(), elapsed, diverged);
    }

    /// <summary>" (2 of 3 diverged)" after a cell when any network diverged, else empty: every table and log that
    /// shows the mean shows this beside it, so chance accuracy from a diverged network is never read as the set's.</summary>
    public string DivergedNote() => Diverged == 0 ? "" : $" ({DivergedCount()})";

    /// <summary>"2 of 3 diverged".</summary>
    public string DivergedCount() => string.Create(CultureInfo.InvariantCulture, $"{Diverged} of {Accuracies.Length} diverged");

    /// <summary>"80.04 ± 0.25" in percent, with <see cref="DivergedNote()"/>.</summary>
    public string Percent() => string.Create(CultureInfo.InvariantCulture, $"{100 * Mean:F2} ± {100 * Std:F2}") + DivergedNote();
}
