namespace DDist.Evaluation;

/// <summary>Accuracies of the networks of one evaluation (on the test set, or on a validation split when a choice is
/// made), their mean and population standard deviation (numpy's np.std, as the reference reports), and the wall
/// time of the whole evaluation (zero where it was not measured, e.g. a result read back from files).</summary>
public sealed record EvalResult(double Mean, double Std, double[] Accuracies, TimeSpan Elapsed = default)
{
    public static EvalResult From(IReadOnlyList<double> accuracies, TimeSpan elapsed = default)
    {
        if (accuracies.Count == 0) throw new ArgumentException("no accuracies to summarise", nameof(accuracies));
        double mean = accuracies.Average();
        double std = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / accuracies.Count);   // np.std: population
        return new EvalResult(mean, std, accuracies.ToArray(), elapsed);
    }
}
