namespace DDist.Evaluation;

/// <summary>DD-Ranking's scores (Li et al. 2025, "DD-Ranking: Rethinking the Evaluation of Dataset Distillation"): a
/// distilled set is judged by how far it stands above random real images of the same size rather than by its accuracy
/// alone, so what a method's soft labels or augmentation add to every set is not counted as the images' merit.
/// Accuracies here are fractions in [0, 1], so each difference lies in [−1, 1] and each score in [0, 100].</summary>
public static class RobustScore
{
    /// <summary>100·(e^x − e^−1)/(e − e^−1): a weighted difference x ∈ [−1, 1] mapped onto [0, 100] (0 at −1, 100 at +1).</summary>
    public static double Normalise(double x) => 100 * (Math.Exp(x) - Math.Exp(-1)) / (Math.E - Math.Exp(-1));

    /// <summary>The label-robust score: α = w·IOR − (1 − w)·HLR, normalised, where HLR (hard-label recovery) = the
    /// full training set's accuracy − the set's with hard labels, and IOR (improvement over random) = the set's own
    /// accuracy (soft labels where it has them) − random real images' under the same evaluation.</summary>
    public static double LabelRobust(double hardLabelRecovery, double improvementOverRandom, double w)
    {
        CheckWeight(w, "the label-robust weight");
        return Normalise(w * improvementOverRandom - (1 - w) * hardLabelRecovery);
    }

    /// <summary>The augmentation-robust score: β = γ·(improvement over random with the protocol's augmentation) +
    /// (1 − γ)·(improvement over random without augmentation), normalised.</summary>
    public static double AugmentationRobust(double withAugmentation, double withoutAugmentation, double gamma)
    {
        CheckWeight(gamma, "the augmentation-robust weight");
        return Normalise(gamma * withAugmentation + (1 - gamma) * withoutAugmentation);
    }

    /// <summary>Throws unless <paramref name="w"/> lies in [0, 1]; <paramref name="what"/> names the weight.</summary>
    public static void CheckWeight(double w, string what)
    {
        if (!(w >= 0 && w <= 1)) throw new ArgumentOutOfRangeException(nameof(w), w, $"{what} must lie in [0, 1]");
    }
}
