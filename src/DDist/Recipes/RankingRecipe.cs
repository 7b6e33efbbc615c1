using System.Globalization;
using DDist.Evaluation;

namespace DDist.Recipes;

/// <summary>A comparison's "ranking" section: DD-Ranking's label-robust and augmentation-robust scores (Li et al. 2025)
/// of every cell, each set against random real images of its size under the comparison's evaluation, as `ddist rank`
/// scores one set. Absent, nothing is ranked (and it is not written).</summary>
public sealed record RankingRecipe
{
    /// <summary>The teacher value that names the comparison's own MTT experts.</summary>
    public const string MttExperts = "mtt";

    /// <summary>The full training set's test accuracy in percent (the evaluation's model, hard labels); null trains one
    /// whole-data network on the comparison's training set for <see cref="FullEpochs"/>.</summary>
    public double? FullAccuracy { get; init; }
    /// <summary>Epochs of that whole-data network (it trains epochs+1, lr 0.01 step decay, batch 256, no augmentation).</summary>
    public int FullEpochs { get; init; } = 30;
    /// <summary>Step sizes the random sets, and sets without a learned step size, choose from on training images held out
    /// of every random set (DD-Ranking's are 0.001, 0.005, 0.01, 0.05, 0.1, searched on the test set); null trains them
    /// at the evaluation's.</summary>
    public double[]? LrSearch { get; init; }
    /// <summary>Training images per class held out for <see cref="LrSearch"/>: drawn from the seed, out of every random set
    /// (so a class needs them and the largest IPC besides); a set that holds some is searched on the others.</summary>
    public int ValidationPerClass { get; init; } = 100;
    /// <summary>Networks trained per step-size candidate.</summary>
    public int SearchNets { get; init; } = 1;
    /// <summary>w of the label-robust score, α = w·IOR − (1 − w)·HLR (DD-Ranking's 0.5).</summary>
    public double LabelWeight { get; init; } = 0.5;
    /// <summary>γ of the augmentation-robust score (DD-Ranking's 0.5).</summary>
    public double AugmentationWeight { get; init; } = 0.5;
    /// <summary>What labels the random sets of a soft-label row (a DATM or TESLA set given in 'sets'): an experts folder
    /// (`ddist experts`; relative to the recipe's folder) or "mtt", the comparison's own MTT experts. Required when a
    /// row has soft labels.</summary>
    public string? Teacher { get; init; }

    public void Check(FieldErrors e, ComparisonRecipe r, int? smallestClass)
    {
        e.Need(FullAccuracy is null or > 1 and <= 100, "fullAccuracy",
               $"is {FullAccuracy?.ToString(CultureInfo.InvariantCulture)}, expected a percentage in (1, 100], e.g. 98.9, or null to train one whole-data network");
        e.Need(FullEpochs >= 0, "fullEpochs", $"is {FullEpochs}, expected ≥ 0");
        e.Need(FullAccuracy is null || FullEpochs == 30, "fullEpochs", "applies when the full training set's accuracy is trained, not given in 'fullAccuracy'");
        if (LrSearch is { } candidates)
        {
            e.Try("lrSearch", () => StepSizeSearch.CheckCandidates(candidates));
            e.Need(ValidationPerClass >= 1, "validationPerClass", $"is {ValidationPerClass}, expected ≥ 1");
            e.Need(SearchNets >= 1, "searchNets", $"is {SearchNets}, expected ≥ 1");
            if (smallestClass is int l && r.Ipcs.Length > 0)
                e.Need(ValidationPerClass + r.Ipcs.Max() <= l, "validationPerClass",
                       $"is {ValidationPerClass}: with the largest IPC ({r.Ipcs.Max()}) it needs more than the smallest class's {l} training images");
        }
        else
        {
            e.Need(ValidationPerClass == 100, "validationPerClass", "applies with 'lrSearch', which is not given");
            e.Need(SearchNets == 1, "searchNets", "applies with 'lrSearch', which is not given");
        }
        e.Try("labelWeight", () => RobustScore.CheckWeight(LabelWeight, "the label-robust weight"));
        e.Try("augmentationWeight", () => RobustScore.CheckWeight(AugmentationWeight, "the augmentation-robust weight"));
        if (Teacher is { } t)
        {
            e.Need(t.Trim().Length > 0, "teacher", "is empty, expected an experts folder or \"mtt\"");
            if (t == MttExperts) e.Need(r.Methods.Contains("mtt"), "teacher", "is \"mtt\" (the comparison's own experts), but 'methods' does not list mtt");
        }
    }

    /// <summary>The teacher's experts folder: the comparison's own for "mtt", else the path as given (already taken from
    /// the recipe's folder when loaded); null without one.</summary>
    public string? TeacherDir(string runFolderExperts) => Teacher is null ? null : Teacher == MttExperts ? runFolderExperts : Teacher;
}
