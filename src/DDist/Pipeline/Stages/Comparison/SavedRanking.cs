using DDist.Evaluation;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>A comparison cell's DD-Ranking scores as ranking/ipcN/cells/METHOD.json keeps them: every round's
/// accuracies (fractions) and scores, the full training set's accuracy and where it came from, the step sizes the
/// search chose by evaluation (empty without one), the set's own, what labelled the random sets and what its own
/// networks cost.</summary>
public sealed record SavedRanking(
    double[] Set, double[] SetHardLabels, double[] Random, double[]? SetNoAugmentation, double[]? RandomNoAugmentation,
    double FullAccuracy, bool FullTrained, double[] HardLabelRecovery, double[] ImprovementOverRandom, double[] LabelRobust,
    double[]? ImprovementWithoutAugmentation, double[]? AugmentationRobust, double SetLr, Dictionary<string, double> StepSizes, string RandomLabels)
{
    /// <summary>Seconds its own networks took (the set's retrained parts and their step-size searches), in every
    /// process that trained them; the random sets' are the comparison's shared cost.</summary>
    public double Seconds { get; init; }

    public static SavedRanking Of(RankingResult r, RankingRequest request, bool fullTrained) => new(
        [.. r.Set.Accuracies], [.. r.SetHardLabels.Accuracies], [.. r.Random.Accuracies], r.SetWithoutAugmentation?.Accuracies.ToArray(),
        r.RandomWithoutAugmentation?.Accuracies.ToArray(), r.FullAccuracy, fullTrained, r.HardLabelRecovery, r.ImprovementOverRandom, r.LabelRobust,
        r.ImprovementWithoutAugmentation, r.AugmentationRobust, r.SetLearningRate, r.StepSizes.ToDictionary(c => c.Part, c => c.Chosen),
        request.Set.SoftLabels is null ? "hard" : request.TeacherName);

    /// <summary>Mean and population std (np.std, as DD-Ranking reports them) of a per-round series.</summary>
    public static EvalResult Summary(double[] values) => EvalResult.From(values);
}
