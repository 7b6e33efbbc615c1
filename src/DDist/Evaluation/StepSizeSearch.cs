using System.Globalization;
using DDist.Data;

namespace DDist.Evaluation;

/// <summary>DD-Ranking's step-size search, made on a validation split. DD-Ranking trains every random set, and a set
/// that brings no learned step size, at five step sizes and keeps the best test accuracy
/// (<c>_hyper_param_search_for_hard_label</c>), so random images are not judged at a step size that suits the
/// distilled set; here each candidate trains <see cref="Networks"/> network(s) scored on training images held out of
/// every random set, and every round of that evaluation trains at the winner and is tested once.</summary>
public sealed record StepSizeSearch
{
    /// <summary>DD-Ranking's candidates.</summary>
    public static readonly double[] DdRankingCandidates = [0.001, 0.005, 0.01, 0.05, 0.1];

    public required double[] Candidates { get; init; }
    /// <summary>The held-out training images each candidate is scored on (in the set's space).</summary>
    public required ImageDataset Validation { get; init; }
    /// <summary>Their indices in the training set: no random set draws them.</summary>
    public required IReadOnlySet<int> ValidationIndices { get; init; }
    /// <summary>How the validation images were chosen ("100 per class, seed 7"), so kept results name them.</summary>
    public required string ValidationName { get; init; }
    /// <summary>Networks trained per candidate (networks 0..N−1 of the evaluation, random sets 0..N−1).</summary>
    public int Networks { get; init; } = 1;

    /// <summary>Candidates that are positive and finite, at least one, none twice; else an error naming the bad one.</summary>
    public static double[] CheckCandidates(IReadOnlyList<double> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("the step-size search has no candidates");
        foreach (var c in candidates)
            if (!(double.IsFinite(c) && c > 0)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"step-size candidate {c}: expected a positive number"));
        if (candidates.Distinct().Count() != candidates.Count) throw new ArgumentException($"step-size candidates {string.Join(",", candidates)}: one is given twice");
        return [.. candidates];
    }
}

/// <summary>The step size one evaluation of a ranking trained at: each candidate's validation accuracy and the best
/// (the first of equals, in the candidates' order).</summary>
public sealed record StepSizeChoice(string Part, double[] Candidates, EvalResult[] Validation, double Chosen)
{
    public static StepSizeChoice Best(string part, double[] candidates, EvalResult[] validation)
    {
        int best = 0;
        for (int i = 1; i < candidates.Length; i++)
            if (validation[i].Mean > validation[best].Mean) best = i;
        return new StepSizeChoice(part, candidates, validation, candidates[best]);
    }

    /// <summary>"random: lr 0.05 (0.001 61.20, 0.005 70.10, …, validation)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Part}: lr {Chosen:R} chosen on validation ({string.Join(", ", Candidates.Select((c, i) => $"{c:R} {100 * Validation[i].Mean:F2}"))})");
}
