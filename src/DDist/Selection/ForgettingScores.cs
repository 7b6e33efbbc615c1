namespace DDist.Selection;

/// <summary>Combines forgetting counts of several training runs into one score per example.</summary>
public static class ForgettingScores
{
    /// <summary>The secondary key that orders examples with equal mean counts: the mean per-presentation loss over
    /// all runs, higher = harder. (Not in the reference code; most MNIST-like examples are never forgotten, and
    /// without it those ties would be ordered by dataset index alone.)</summary>
    public const string TieBreakName = "mean_loss";

    /// <summary>Score = mean forgetting count over the runs (SEL's files look like means of 5 runs; the official code
    /// sums, which ranks identically). Tie-break = mean loss; the ranking's last key is the training index.</summary>
    public static DifficultyScores Combine(IReadOnlyList<ForgettingRun> runs, string dataset, string source, long[]? labels = null,
                                           NeverLearnedRule rule = NeverLearnedRule.MostForgotten)
    {
        if (runs.Count == 0) throw new ArgumentException("need at least one run", nameof(runs));
        int n = runs[0].Counts.Length;
        var score = new double[n];
        var loss = new double[n];
        foreach (var run in runs)
        {
            if (run.Counts.Length != n || run.MeanLoss.Length != n || run.NeverLearned.Length != n)
                throw new ArgumentException($"runs disagree on the example count ({run.Counts.Length} vs {n})", nameof(runs));
            var counts = run.CountsUnder(rule);
            for (int i = 0; i < n; i++) { score[i] += counts[i]; loss[i] += run.MeanLoss[i]; }
        }
        for (int i = 0; i < n; i++) { score[i] /= runs.Count; loss[i] /= runs.Count; }
        return new DifficultyScores
        {
            Scores = score,
            Labels = labels,
            Kind = ScoreKind.Forgetting,
            Direction = HardEnd.High,
            TieBreak = loss,
            TieBreakName = TieBreakName,
            TieBreakDirection = HardEnd.High,
            Dataset = dataset,
            Source = source,
        };
    }
}
