using System.Globalization;
using DDist.Artifacts;
using DDist.Evaluation;

namespace DDist.Cli.Commands;

/// <summary>What `ddist rank` writes: the JSON result (every round's accuracies and scores) and the table it prints.</summary>
internal static class RankingJson
{
    /// <summary>One ranked set, for the table of several.</summary>
    public sealed record Ranked(string Path, string Method, int Ipc, RankingRequest Request, RankingResult Result);

    /// <summary>How these scores are measured apart from DD-Ranking's code, said in every result.</summary>
    public static string Protocol(RankingRequest request) =>
        "accuracy of each final network (DD-Ranking keeps the best of test evaluations every 10 epochs); " +
        (request.StepSizes is { } search
            ? $"random sets, and a set without a learned step size, train at the step size of {search.Candidates.Length} that scores best on " +
              $"held-out training images ({search.ValidationName}; DD-Ranking chooses it by test accuracy)"
            : "random sets train at the protocol's step size (DD-Ranking searches five on the test set; --lr-search chooses on held-out images)") +
        "; a set's learned step size applies as in every DDist evaluation";

    public static object Of(string path, SmallSet set, string dataset, EvalProtocol p, RankingRequest request, RankingResult r) => new
    {
        set = path, dataset, method = set.Info.Method, ipc = set.Info.Ipc, images = set.Count, perClass = RankingEvaluation.ClassCounts(set), softLabels = set.SoftLabels is not null,
        seed = request.Seed, protocol = EvalOptions.Describe(p), setLr = r.SetLearningRate, rounds = p.Networks,
        accuracy = new
        {
            set = Accuracies(r.Set), setHardLabels = Accuracies(r.SetHardLabels), random = Accuracies(r.Random),
            setNoAugmentation = r.SetWithoutAugmentation is null ? null : Accuracies(r.SetWithoutAugmentation),
            randomNoAugmentation = r.RandomWithoutAugmentation is null ? null : Accuracies(r.RandomWithoutAugmentation),
            full = r.FullAccuracy,
        },
        fullAccuracyFrom = r.FullTrained ? $"trained: one whole-data network, {request.FullEpochs + 1} epochs" : "given (--full-accuracy)",
        randomLabels = set.SoftLabels is null ? "hard" : request.TeacherName,
        weights = new { labelRobust = request.LabelWeight, augmentationRobust = request.AugmentationWeight },
        hardLabelRecovery = Summary(r.HardLabelRecovery),
        improvementOverRandom = Summary(r.ImprovementOverRandom),
        labelRobustScore = Summary(r.LabelRobust),
        improvementWithoutAugmentation = r.ImprovementWithoutAugmentation is null ? null : Summary(r.ImprovementWithoutAugmentation),
        augmentationRobustScore = r.AugmentationRobust is null ? null : Summary(r.AugmentationRobust),
        augmentationRobustNote = r.AugmentationRobust is null ? "not computed: the protocol trains without augmentation" : null,
        stepSizeSearch = request.StepSizes is not { } search ? null : new
        {
            candidates = search.Candidates, validation = search.ValidationName, networksPerCandidate = search.Networks,
            chosen = r.StepSizes.Select(c => new
            {
                evaluation = c.Part, lr = c.Chosen,
                validationAccuracy = c.Candidates.Select((lr, i) => new { lr, c.Validation[i].Mean, c.Validation[i].Accuracies, c.Validation[i].Diverged }),
            }),
        },
        measured = Protocol(request),
    };

    public static void WriteTable(TextWriter o, string path, RankingResult r, RankingRequest request)
    {
        o.WriteLine($"{path}: DD-Ranking scores over {r.Set.Accuracies.Length} round(s)");
        o.WriteLine("| trained on | accuracy |");
        o.WriteLine("|---|---|");
        o.WriteLine($"| the set | {r.Set.Percent()} |");
        if (!ReferenceEquals(r.SetHardLabels, r.Set)) o.WriteLine($"| the set, hard labels | {r.SetHardLabels.Percent()} |");
        o.WriteLine($"| random real images{(request.Set.SoftLabels is null ? "" : ", teacher's labels")} | {r.Random.Percent()} |");
        if (r.SetWithoutAugmentation is { } plain) o.WriteLine($"| the set, no augmentation | {plain.Percent()} |");
        if (r.RandomWithoutAugmentation is { } randomPlain) o.WriteLine($"| random real images, no augmentation | {randomPlain.Percent()} |");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| the full training set ({(r.FullTrained ? "trained" : "given")}) | {100 * r.FullAccuracy:F2} |"));
        o.WriteLine($"hard-label recovery {Points(r.HardLabelRecovery)}, improvement over random {Points(r.ImprovementOverRandom)}" +
                    (r.ImprovementWithoutAugmentation is { } g ? $" ({Points(g)} without augmentation)" : ""));
        o.WriteLine($"label-robust score {Score(r.LabelRobust)}" +
                    (r.AugmentationRobust is { } ars ? $", augmentation-robust score {Score(ars)}" : "; augmentation-robust score not computed: the protocol trains without augmentation"));
        foreach (var choice in r.StepSizes) o.WriteLine($"step size of {choice}");
        o.WriteLine($"(scores in [0, 100]; {Protocol(request)})");
    }

    /// <summary>Several sets by label-robust score, best first (ties keep the order given).</summary>
    public static object Leaderboard(IEnumerable<Ranked> sets) => ByScore(sets).Select((x, i) => new
    {
        rank = i + 1, set = x.Path, method = x.Method, ipc = x.Ipc, accuracy = x.Result.Set.Mean, random = x.Result.Random.Mean,
        hardLabelRecovery = MeanStd(x.Result.HardLabelRecovery).Mean, improvementOverRandom = MeanStd(x.Result.ImprovementOverRandom).Mean,
        labelRobustScore = Summary(x.Result.LabelRobust), augmentationRobustScore = x.Result.AugmentationRobust is null ? null : Summary(x.Result.AugmentationRobust),
    });

    public static void WriteLeaderboard(TextWriter o, IEnumerable<Ranked> sets)
    {
        o.WriteLine();
        o.WriteLine("sets by label-robust score (accuracies and differences in percent, scores in [0, 100]):");
        o.WriteLine("| rank | set | method | IPC | accuracy | random | HLR | IOR | LRS | ARS |");
        o.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        int rank = 0;
        foreach (var x in ByScore(sets))
        {
            var r = x.Result;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {++rank} | {x.Path} | {x.Method} | {x.Ipc} | {r.Set.Percent()} | {r.Random.Percent()} | {100 * MeanStd(r.HardLabelRecovery).Mean:F2} | " +
                $"{100 * MeanStd(r.ImprovementOverRandom).Mean:+0.00;-0.00} | {Score(r.LabelRobust)} | {(r.AugmentationRobust is { } ars ? Score(ars) : "–")} |"));
        }
    }

    private static IEnumerable<Ranked> ByScore(IEnumerable<Ranked> sets) => sets.OrderByDescending(x => MeanStd(x.Result.LabelRobust).Mean);

    private static object Accuracies(EvalResult e) => new { e.Mean, e.Std, e.Accuracies, e.Diverged };

    private static object Summary(double[] values)
    {
        var (mean, std) = MeanStd(values);
        return new { mean, std, values };
    }

    /// <summary>Mean and population standard deviation (np.std, as DD-Ranking reports them).</summary>
    private static (double Mean, double Std) MeanStd(double[] values)
    {
        var s = EvalResult.From(values);
        return (s.Mean, s.Std);
    }

    /// <summary>An accuracy difference in percentage points.</summary>
    private static string Points(double[] values)
    {
        var (mean, std) = MeanStd(values);
        return string.Create(CultureInfo.InvariantCulture, $"{100 * mean:+0.00;-0.00} ± {100 * std:F2} points");
    }

    private static string Score(double[] values)
    {
        var (mean, std) = MeanStd(values);
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F2} ± {std:F2}");
    }
}
