using DDist.Artifacts;

namespace DDist.Selection;

/// <summary>How much training one evaluation of a small set gets: epochs per network and how many freshly
/// initialised networks are trained (the mean and std are over those networks).</summary>
/// <param name="OnlyNetwork">Train only network k of the <paramref name="Nets"/> (seeded as in the full evaluation), so
/// the networks can run as separate scheduler tasks; null: all.</param>
public sealed record EvalBudget(int Epochs, int Nets, int? OnlyNetwork = null)
{
    /// <summary>Training cost in image presentations: epochs × images × networks.</summary>
    public long Cost(int images) => (long)Epochs * images * Nets;
}

/// <summary>Mean and population std of test (or validation) accuracy over the networks of one evaluation.</summary>
public sealed record AccuracyEstimate(double Mean, double Std, IReadOnlyList<double> Accuracies)
{
    public static AccuracyEstimate Of(IReadOnlyList<double> accuracies)
    {
        if (accuracies.Count == 0) throw new ArgumentException("no accuracies", nameof(accuracies));
        double mean = accuracies.Average();
        double var = accuracies.Sum(a => (a - mean) * (a - mean)) / accuracies.Count; // np.std: population
        return new AccuracyEstimate(mean, Math.Sqrt(var), accuracies.ToArray());
    }
}

/// <summary>Trains fresh networks on a small set and measures them on a held-out set (the evaluation protocol and
/// target set are bound by whoever creates the delegate, e.g. around SmallSetEvaluator.Evaluate).</summary>
public delegate AccuracyEstimate SmallSetEvaluation(SmallSet set, EvalBudget budget, int seed, CancellationToken ct);
