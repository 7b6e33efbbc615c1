using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Selection;
using DDist.Torch;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>What DD-Ranking's scores of one set need besides the set itself.</summary>
public sealed record RankingRequest
{
    public required SmallSet Set { get; init; }
    /// <summary>The training set the random sets are drawn from (in the set's space: whitened for a ZCA set).</summary>
    public required ImageDataset Train { get; init; }
    public required ImageDataset Test { get; init; }
    /// <summary>The evaluation every set trains under (the set's learned step size applies as everywhere, <see
    /// cref="EvalProtocol.ForSet"/>); its <see cref="EvalProtocol.Networks"/> are the rounds, each with its own random set.</summary>
    public required EvalProtocol Protocol { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>The full training set's accuracy with hard labels (a fraction), as known; null trains it (<see cref="FullEpochs"/>).</summary>
    public double? FullAccuracy { get; init; }
    /// <summary>Epochs of the one whole-data network trained when <see cref="FullAccuracy"/> is not given (<see cref="EvalProtocol.WholeData"/>).</summary>
    public int FullEpochs { get; init; } = 30;
    /// <summary>Logits of a trained teacher for images: the random sets' soft labels when the set has soft labels
    /// (DD-Ranking labels random images with its teacher models); required then, unused otherwise.</summary>
    public Func<Tensor, Tensor>? Teacher { get; init; }
    /// <summary>What <see cref="Teacher"/> is, for the random sets' records.</summary>
    public string TeacherName { get; init; } = "teacher";
    /// <summary>w of the label-robust score (DD-Ranking's default 0.5).</summary>
    public double LabelWeight { get; init; } = 0.5;
    /// <summary>γ of the augmentation-robust score (DD-Ranking's default 0.5).</summary>
    public double AugmentationWeight { get; init; } = 0.5;
    /// <summary>Choose the step size of the random sets (and of a set without a learned one) on a validation split,
    /// as DD-Ranking searches it on the test set; null trains them at the protocol's.</summary>
    public StepSizeSearch? StepSizes { get; init; }
    /// <summary>A folder each network's result is kept in as it finishes (one sub-folder per evaluation), so an
    /// interrupted ranking resumes at the network it was in; null keeps nothing.</summary>
    public string? Folder { get; init; }
    /// <summary>Where the evaluations that do not depend on the set (its random sets', the whole-data network's) are
    /// kept instead, each in a folder named by what it trains on: rankings of several sets that share this folder train
    /// the same random sets once. Null: in <see cref="Folder"/>.</summary>
    public string? SharedFolder { get; init; }
    /// <summary>Told each evaluation's result as it is known ("random: 75.31 ± 0.43").</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>The evaluations behind a set's DD-Ranking scores, round by round (network k of each evaluation, random
/// set k), and the scores of each round; the step size the set trained at and, with a step-size search, the one each
/// evaluation chose.</summary>
public sealed record RankingResult(
    EvalResult Set, EvalResult SetHardLabels, EvalResult Random, EvalResult? SetWithoutAugmentation, EvalResult? RandomWithoutAugmentation,
    double FullAccuracy, bool FullTrained, double[] HardLabelRecovery, double[] ImprovementOverRandom, double[] LabelRobust,
    double[]? ImprovementWithoutAugmentation, double[]? AugmentationRobust, IReadOnlyList<StepSizeChoice> StepSizes, double SetLearningRate);

/// <summary>DD-Ranking's label-robust and augmentation-robust scores (Li et al. 2025; <see cref="RobustScore"/>) of a
/// small set. Each round k trains network k on the set as it is, on the set with hard labels (its classes; the same
/// networks when it has none), on random real images of the same size (drawn anew each round; for a soft-label set
/// labelled by a teacher, as DD-Ranking labels them), and — unless the protocol trains without augmentation — on the
/// set and the random images without augmentation. Differences from DD-Ranking's code, both for the test set's sake:
/// every accuracy is the final network's (DD-Ranking keeps the best of test evaluations every 10 epochs), and the
/// random sets train at the protocol's step size or at one chosen on a validation split (<see cref="StepSizeSearch"/>;
/// DD-Ranking searches five step sizes on the test set).</summary>
public static class RankingEvaluation
{
    /// <summary>Network k of an evaluation under a protocol, scored on the given images, reporting to the given progress.</summary>
    private delegate EvalResult Train(EvalProtocol protocol, int network, ImageDataset scoredOn, IProgress<ProgressReport>? reports);

    public static RankingResult Run(RankingRequest r, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var (set, p) = (r.Set, r.Protocol);
        int ipc = EqualClassCount(set);
        if (set.SoftLabels is not null && r.Teacher is null)
            throw new ArgumentException("the set has soft labels: its random sets need a teacher's soft labels (DD-Ranking labels them with its teacher models)");
        RobustScore.CheckWeight(r.LabelWeight, "the label-robust weight");   // before anything trains
        RobustScore.CheckWeight(r.AugmentationWeight, "the augmentation-robust weight");
        if (r.StepSizes is { } search)
        {
            StepSizeSearch.CheckCandidates(search.Candidates);
            if (search.Networks < 1) throw new ArgumentException($"the step-size search trains {search.Networks} network(s) per candidate, expected ≥ 1");
        }

        var choices = new List<StepSizeChoice>();
        // Each evaluation trains network k on the set (or random set k) under a protocol; Tuned picks that protocol's
        // step size first when the evaluation has no learned one and a search is asked for.
        EvalResult Evaluate(string part, string trainedOn, EvalProtocol protocol, bool learned, bool shared, Train train)
        {
            var q = learned ? protocol : Tuned(r, part, trainedOn, protocol, shared, train, progress, choices);
            return Networks(r, part, part, q.Networks, $"{trainedOn}; {Describe(q, r.Seed)}", shared, k => train(q, k, r.Test, progress));
        }
        EvalResult OnSet(string part, SmallSet s, EvalProtocol protocol) =>
            Evaluate(part, s.Digest(), protocol, protocol.TrainsAtLearnedLr(s), shared: false,
                     (q, k, on, reports) => SmallSetEvaluator.Evaluate(s, on, q with { OnlyNetwork = k }, r.Seed, reports, ct));
        var randomSets = $"random sets of {ipc} per class from {r.Train.Name} ({r.Train.Count} images, {r.Train.Space}" +
                         $"{(r.StepSizes is { } held ? $", validation {held.ValidationName} held out" : "")}), labels {(set.SoftLabels is null ? "hard" : r.TeacherName)}";
        EvalResult OnRandom(string part, EvalProtocol protocol) =>
            Evaluate(part, randomSets, protocol, learned: false, shared: true, (q, k, on, reports) =>
            {
                using var random = RandomSet(r, ipc, k);
                return SmallSetEvaluator.Evaluate(random, on, q with { OnlyNetwork = k }, r.Seed, reports, ct);
            });

        var own = OnSet("set", set, p);
        EvalResult hard;
        if (set.SoftLabels is null) hard = own;
        else
            using (var hardLabelled = set.WithSoftLabels(null))
                hard = OnSet("set-hard-labels", hardLabelled, p);
        var random = OnRandom("random", p);
        var (full, trained) = Full(r, progress, ct);

        EvalResult? ownPlain = null, randomPlain = null;
        if (p.Augmentation != AugMode.None)
        {
            var plain = p with { Augmentation = AugMode.None };
            ownPlain = OnSet("set-no-augmentation", set, plain);
            randomPlain = OnRandom("random-no-augmentation", plain);
        }

        int n = p.Networks;
        var hlr = Enumerable.Range(0, n).Select(k => full - hard.Accuracies[k]).ToArray();
        var ior = Enumerable.Range(0, n).Select(k => own.Accuracies[k] - random.Accuracies[k]).ToArray();
        var lrs = Enumerable.Range(0, n).Select(k => RobustScore.LabelRobust(hlr[k], ior[k], r.LabelWeight)).ToArray();
        var iorPlain = ownPlain is null ? null : Enumerable.Range(0, n).Select(k => ownPlain.Accuracies[k] - randomPlain!.Accuracies[k]).ToArray();
        var ars = iorPlain?.Select((plain, k) => RobustScore.AugmentationRobust(ior[k], plain, r.AugmentationWeight)).ToArray();
        double setLr = choices.FirstOrDefault(c => c.Part == "set")?.Chosen ?? p.ForSet(set).LearningRate;
        return new RankingResult(own, hard, random, ownPlain, randomPlain, full, trained, hlr, ior, lrs, iorPlain, ars, choices, setLr);
    }

    /// <summary>The protocol with the step size the search chooses for this evaluation: each candidate trains the
    /// search's networks, scored on its validation images (kept under lr-search/PART/lr-X); the protocol as it is
    /// without a search.</summary>
    private static EvalProtocol Tuned(RankingRequest r, string part, string trainedOn, EvalProtocol protocol, bool shared,
                                      Train train, IProgress<ProgressReport>? progress, List<StepSizeChoice> choices)
    {
        if (r.StepSizes is not { } search) return protocol;
        var onValidation = EvaluatorBinding.OnValidationSplit(progress);
        var validation = search.Candidates.Select(lr =>
        {
            var q = protocol with { LearningRate = lr, UseLearnedLr = false };
            var at = lr.ToString("R", CultureInfo.InvariantCulture);
            return Networks(r, Path.Combine("lr-search", part, $"lr-{at}"), $"{part} at lr {at} (validation)", search.Networks,
                            $"{trainedOn}; {Describe(q, r.Seed)}; scored on validation {search.ValidationName}", shared, k => train(q, k, search.Validation, onValidation));
        }).ToArray();
        var choice = StepSizeChoice.Best(part, search.Candidates, validation);
        choices.Add(choice);
        r.Log?.Invoke(choice.ToString());
        return protocol with { LearningRate = choice.Chosen, UseLearnedLr = false };
    }

    /// <summary>The images every class of the set holds; DD-Ranking's random sets take that many per class.</summary>
    private static int EqualClassCount(SmallSet set)
    {
        var counts = set.Labels.To(DType.Int64, Device.Cpu).ToArray<long>().GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        var perClass = Enumerable.Range(0, set.Info.NumClasses).Select(c => counts.GetValueOrDefault(c)).ToArray();
        if (perClass.Distinct().Count() != 1 || perClass[0] == 0)
            throw new ArgumentException($"the set's classes hold {string.Join(",", perClass)} images: the random sets it is ranked against take one number per class");
        return perClass[0];
    }

    /// <summary>Random set <paramref name="round"/>: ipc real training images per class (its own seed), labelled by the
    /// teacher when the ranked set has soft labels; never a validation image of the step-size search.</summary>
    internal static SmallSet RandomSet(RankingRequest r, int ipc, int round)
    {
        var random = RandomSelection.Select(r.Train, ipc, SeedSequence.Derive(r.Seed, "ranking-random", round), exclude: r.StepSizes?.ValidationIndices);
        if (r.Set.SoftLabels is null) return random;
        using (random)
        {
            Tensor logits;
            using (var scope = new TensorScope()) logits = r.Teacher!(random.Images).To(DType.Float32, Device.Cpu).DetachFromScope();
            return random.WithSoftLabels(new SoftLabels(logits, SoftLabelKind.Logits, r.TeacherName));
        }
    }

    /// <summary>The full training set's hard-label accuracy: as given, or one whole-data network's.</summary>
    private static (double Accuracy, bool Trained) Full(RankingRequest r, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        if (r.FullAccuracy is double given) return (given, false);
        var protocol = EvalProtocol.WholeData(r.Protocol.Model, r.FullEpochs);
        var whole = Networks(r, "full", "full", 1, $"whole {r.Train.Name} ({r.Train.Count} images, {r.Train.Space}); {Describe(protocol, r.Seed)}", shared: true,
                             _ => WholeDataTrainer.Train(r.Train, r.Test, protocol, r.Seed, progress, ct));
        return (whole.Mean, true);
    }

    /// <summary>Networks 0..n−1 of an evaluation, kept in the request's folder (FOLDER/net-K.json) when it has one; one
    /// that does not depend on the set (<paramref name="shared"/>) in the shared folder, under FOLDER-HASH of what it trains on.</summary>
    private static EvalResult Networks(RankingRequest r, string folder, string label, int n, string trainedOn, bool shared, Func<int, EvalResult> network)
    {
        var dir = shared && r.SharedFolder is { } common
            ? Path.Combine(common, $"{folder.Replace(Path.DirectorySeparatorChar, '-')}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trainedOn)))[..12]}")
            : r.Folder is { } root ? Path.Combine(root, folder) : null;
        EvalResult result;
        if (dir is not null) result = NetworkResults.EvaluateEach(dir, label, n, trainedOn, network);
        else
        {
            var each = Enumerable.Range(0, n).Select(network).ToList();
            result = EvalResult.From(each.Select(e => e.Accuracies[0]).ToArray(), TimeSpan.FromTicks(each.Sum(e => e.Elapsed.Ticks)), each.Sum(e => e.Diverged));
        }
        r.Log?.Invoke($"{label}: {result.Percent()}");
        return result;
    }

    private static string Describe(EvalProtocol p, ulong seed) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Name}: {p.Model}, {p.Epochs} epochs, lr {p.LearningRate:R}{(p.UseLearnedLr ? " or learned" : "")}, momentum {p.Momentum:R}, weight decay {p.WeightDecay:R}, " +
        $"batch {p.BatchSize}, {p.Schedule}, augmentation {p.Augmentation}; seed {seed}");
}
