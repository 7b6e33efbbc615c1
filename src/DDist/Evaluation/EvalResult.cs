namespace DDist.Evaluation;

/// <summary>Test accuracies of the evaluation networks, their mean and population standard deviation
/// (numpy's np.std, as the reference reports), and the wall time of the whole evaluation.</summary>
public sealed record EvalResult(double Mean, double Std, double[] Accuracies, TimeSpan Elapsed)
{
    public static EvalResult From(double[] accuracies, TimeSpan elapsed)
    {
        if (accuracies.Length == 0) throw new ArgumentException("no accuracies to summarise", nameof(accuracies));
        double mean = accuracies.Average();
        double std = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / accuracies.Length);
        return new EvalResult(mean, std, accuracies, elapsed);
    }
}
