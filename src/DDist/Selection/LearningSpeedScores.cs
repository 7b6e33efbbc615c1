namespace DDist.Selection;

/// <summary>Learning-speed scores (Jiang et al. 2021, "Characterizing Structural Regularities of Labeled Data in
/// Overparameterized Models"): the softmax probability of the true label, averaged over every presentation of every
/// training run. The authors found such training statistics to be the proxies that track the C-score best, at the
/// cost of a few ordinary trainings instead of thousands on held-out splits; DDist computes them from the same runs as
/// forgetting scores, for datasets that have no published C-scores (MNIST, Fashion-MNIST, an image folder).</summary>
/// <remarks>Unlike a forgetting count, which is 0 for most examples of an easy dataset and leaves
/// them to a tie-break, the mean confidence is continuous, so the whole class is ranked by one
/// measure. Low = hard, as the C-score.</remarks>
public static class LearningSpeedScores
{
    /// <summary>Score = the mean over runs of each run's mean true-label confidence (every run presents every example
    /// once per epoch, so this is the mean over all presentations). No tie-break: ties of a continuous mean are left to
    /// the ranking's last key, the training index.</summary>
    /// <param name="runFile">Names the file of run r for the error when a run was kept without its confidence.</param>
    public static DifficultyScores Combine(IReadOnlyList<ForgettingRun> runs, string dataset, string source, long[]? labels = null,
                                           Func<int, string>? runFile = null)
    {
        if (runs.Count == 0) throw new ArgumentException("need at least one run", nameof(runs));
        int n = runs[0].Counts.Length;
        var score = new double[n];
        for (int r = 0; r < runs.Count; r++)
        {
            var confidence = runs[r].MeanConfidence ?? throw new InvalidDataException(
                $"{runFile?.Invoke(r) ?? $"training run {r}"}: tensor 'mean_confidence' missing; the run was kept by a DDist version that " +
                "recorded forgetting counts only, and learning-speed scores need it: delete the file to train the run again");
            if (confidence.Length != n) throw new ArgumentException($"runs disagree on the example count ({confidence.Length} vs {n})", nameof(runs));
            for (int i = 0; i < n; i++) score[i] += confidence[i];
        }
        for (int i = 0; i < n; i++) score[i] /= runs.Count;
        return new DifficultyScores
        {
            Scores = score,
            Labels = labels,
            Kind = ScoreKind.LearningSpeed,
            Direction = HardEnd.Low,
            Dataset = dataset,
            Source = source,
        };
    }
}
