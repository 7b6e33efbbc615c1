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
    /// <summary>The search of the set's own evaluations when it differs from <see cref="StepSizes"/>: scored on the
    /// held-out images the set does not hold (a set made before the split was carved may hold some). Null: <see
    /// cref="StepSizes"/>.</summary>
    public StepSizeSearch? SetStepSizes { get; init; }
    /// <summary>A folder each network's result is kept in as it finishes (one sub-folder per evaluation), so an
    /// interrupted ranking resumes at the network it was in; null keeps nothing.</summary>
    public string? Folder { get; init; }
    /// <summary>Where the evaluations that do not depend on the set (its random sets', the whole-data network's) are
    /// kept instead, each in a folder named by what it trains on: rankings of several sets that share this folder train
    /// the same random sets once. Null: in <see cref="Folder"/>.</summary>
    public string? SharedFolder { get; init; }
    /// <summary>The set's evaluation under <see cref="Protocol"/> with <see cref="Seed"/> on <see cref="Test"/>, already
    /// made (a comparison's evaluation of its cell): it stands for the set's own networks, which would train exactly so,
    /// unless a step-size search retrains them. Null trains them.</summary>
    public EvalResult? SetEvaluation { get; init; }
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
        var run = new RankingRun(r, progress, ct);
        var (set, p) = (r.Set, r.Protocol);
        var own = run.OnSet("set", set, p, r.SetEvaluation);
        EvalResult hard;
        if (set.SoftLabels is null) hard = own;
        else
            using (var hardLabelled = set.WithSoftLabels(null))
                hard = run.OnSet("set-hard-labels", hardLabelled, p);
        var random = run.OnRandom("random", p);
        var (full, trained) = run.Full();

        EvalResult? ownPlain = null, randomPlain = null;
        if (p.Augmentation != AugMode.None)
        {
            var plain = p with { Augmentation = AugMode.None };
            ownPlain = run.OnSet("set-no-augmentation", set, plain);
            randomPlain = run.OnRandom("random-no-augmentation", plain);
        }

        int n = p.Networks;
        var hlr = Enumerable.Range(0, n).Select(k => full - hard.Accuracies[k]).ToArray();
        var ior = Enumerable.Range(0, n).Select(k => own.Accuracies[k] - random.Accuracies[k]).ToArray();
        var lrs = Enumerable.Range(0, n).Select(k => RobustScore.LabelRobust(hlr[k], ior[k], r.LabelWeight)).ToArray();
        var iorPlain = ownPlain is null ? null : Enumerable.Range(0, n).Select(k => ownPlain.Accuracies[k] - randomPlain!.Accuracies[k]).ToArray();
        var ars = iorPlain?.Select((plain, k) => RobustScore.AugmentationRobust(ior[k], plain, r.AugmentationWeight)).ToArray();
        double setLr = run.Choices.FirstOrDefault(c => c.Part == "set")?.Chosen ?? p.ForSet(set).LearningRate;
        return new RankingResult(own, hard, random, ownPlain, randomPlain, full, trained, hlr, ior, lrs, iorPlain, ars, run.Choices, setLr);
    }

    /// <summary>What <see cref="Run"/> trains that does not depend on the set beyond its size, labels' kind and space:
    /// the random sets, with and without augmentation, and their step-size searches. With a <see
    /// cref="RankingRequest.SharedFolder"/> they are kept there, so a split run trains them once, in their own task,
    /// and every set ranked alike reads them back.</summary>
    public static void TrainBaselines(RankingRequest r, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var run = new RankingRun(r, progress, ct);
        run.OnRandom("random", r.Protocol);
        if (r.Protocol.Augmentation != AugMode.None) run.OnRandom("random-no-augmentation", r.Protocol with { Augmentation = AugMode.None });
    }

    /// <summary>One ranking's evaluations: each trains network k on the set (or random set k) under a protocol, kept in
    /// the request's folders; <see cref="Tuned"/> picks that protocol's step size first when the evaluation has no
    /// learned one and a search is asked for.</summary>
    private sealed class RankingRun
    {
        private readonly RankingRequest r;
        private readonly IProgress<ProgressReport>? progress;
        private readonly CancellationToken ct;
        private readonly int[] perClass;
        private readonly string randomSets;
        public List<StepSizeChoice> Choices { get; } = [];

        public RankingRun(RankingRequest request, IProgress<ProgressReport>? progress, CancellationToken ct)
        {
            (r, this.progress, this.ct) = (request, progress, ct);
            perClass = ClassCounts(r.Set);
            if (r.Set.SoftLabels is not null && r.Teacher is null)
                throw new ArgumentException("the set has soft labels: its random sets need a teacher's soft labels (DD-Ranking labels them with its teacher models)");
            RobustScore.CheckWeight(r.LabelWeight, "the label-robust weight");   // before anything trains
            RobustScore.CheckWeight(r.AugmentationWeight, "the augmentation-robust weight");
            if (r.StepSizes is { } search)
            {
                StepSizeSearch.CheckCandidates(search.Candidates);
                if (search.Networks < 1) throw new ArgumentException($"the step-size search trains {search.Networks} network(s) per candidate, expected ≥ 1");
            }
            // What the random sets train on, as kept results name it: a ZCA set's are whitened by its own transform.
            randomSets = $"random sets of {PerClassName(perClass)} per class from {r.Train.Name} ({r.Train.Count} images, {r.Train.Space}{ZcaDigest(r.Set)}" +
                         $"{(r.StepSizes is { } held ? $", validation {held.ValidationName} held out" : "")}), labels {(r.Set.SoftLabels is null ? "hard" : r.TeacherName)}";
        }

        /// <summary>Networks 0..N−1 on <paramref name="s"/>; <paramref name="known"/>, the set's evaluation under this very
        /// protocol and seed made elsewhere, stands for them when no step size is searched for it.</summary>
        public EvalResult OnSet(string part, SmallSet s, EvalProtocol protocol, EvalResult? known = null)
        {
            bool learned = protocol.TrainsAtLearnedLr(s);
            if (known is not null && (learned || r.StepSizes is null))
            {
                if (known.Accuracies.Length != protocol.Networks)
                    throw new ArgumentException($"the set's known evaluation has {known.Accuracies.Length} network(s), the protocol trains {protocol.Networks}");
                r.Log?.Invoke($"{part}: {known.Percent()} (its evaluation, as made)");
                return known;
            }
            return Evaluate(part, s.Digest(), protocol, learned ? null : r.SetStepSizes ?? r.StepSizes, shared: false,
                            (q, k, on, reports) => SmallSetEvaluator.Evaluate(s, on, q with { OnlyNetwork = k }, r.Seed, reports, ct));
        }

        public EvalResult OnRandom(string part, EvalProtocol protocol) =>
            Evaluate(part, randomSets, protocol, r.StepSizes, shared: true, (q, k, on, reports) =>
            {
                using var random = RandomSet(r, perClass, k);
                return SmallSetEvaluator.Evaluate(random, on, q with { OnlyNetwork = k }, r.Seed, reports, ct);
            });

        /// <summary>The full training set's hard-label accuracy: as given, or one whole-data network's.</summary>
        public (double Accuracy, bool Trained) Full()
        {
            if (r.FullAccuracy is double given) return (given, false);
            var protocol = EvalProtocol.WholeData(r.Protocol.Model, r.FullEpochs);
            var whole = Networks(r, "full", "full", 1, $"whole {r.Train.Name} ({r.Train.Count} images, {r.Train.Space}{ZcaDigest(r.Set)}); {Describe(protocol, r.Seed)}", shared: true,
                                 _ => WholeDataTrainer.Train(r.Train, r.Test, protocol, r.Seed, progress, ct));
            return (whole.Mean, true);
        }

        /// <summary>Networks 0..N−1 under the protocol, at the step size <paramref name="search"/> chooses when there is one.</summary>
        private EvalResult Evaluate(string part, string trainedOn, EvalProtocol protocol, StepSizeSearch? search, bool shared, Train train)
        {
            var q = search is null ? protocol : Tuned(search, part, trainedOn, protocol, shared, train);
            return Networks(r, part, part, q.Networks, $"{trainedOn}; {Describe(q, r.Seed)}", shared, k => train(q, k, r.Test, progress));
        }

        /// <summary>The protocol with the step size the search chooses for this evaluation: each candidate trains the
        /// search's networks, scored on its validation images (kept under lr-search/PART/lr-X).</summary>
        private EvalProtocol Tuned(StepSizeSearch search, string part, string trainedOn, EvalProtocol protocol, bool shared, Train train)
        {
            var onValidation = EvaluatorBinding.OnValidationSplit(progress);
            var validation = search.Candidates.Select(lr =>
            {
                var q = protocol with { LearningRate = lr, UseLearnedLr = false };
                var at = lr.ToString("R", CultureInfo.InvariantCulture);
                return Networks(r, Path.Combine("lr-search", part, $"lr-{at}"), $"{part} at lr {at} (validation)", search.Networks,
                                $"{trainedOn}; {Describe(q, r.Seed)}; scored on validation {search.ValidationName}", shared, k => train(q, k, search.Validation, onValidation));
            }).ToArray();
            var choice = StepSizeChoice.Best(part, search.Candidates, validation);
            Choices.Add(choice);
            r.Log?.Invoke(choice.ToString());
            return protocol with { LearningRate = choice.Chosen, UseLearnedLr = false };
        }
    }

    /// <summary>" whitened by ZCA abc123…": which transform a ZCA set's space is, so random sets and whole-data
    /// networks kept for one transform never pass for another's; empty for a set in the dataset's normalisation.</summary>
    private static string ZcaDigest(SmallSet set)
    {
        if (set.Zca is not { } zca) return "";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in zca.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            using var cpu = t.To(DType.Float32, Device.Cpu).Contiguous();
            sha.AppendData(cpu.ToBytes());
        }
        return $" {Convert.ToHexStringLower(sha.GetHashAndReset())[..12]}";
    }

    /// <summary>The images each class of the set holds: its random sets take as many of every class (DD-Ranking's
    /// random sets are the ranked set's size; a set imported from elsewhere may hold more of some classes).</summary>
    public static int[] ClassCounts(SmallSet set)
    {
        using var labels = set.Labels.To(DType.Int64, Device.Cpu);
        var perClass = new int[set.Info.NumClasses];
        foreach (var c in labels.ToArray<long>())
        {
            if (c < 0 || c >= perClass.Length)
                throw new ArgumentException($"the set holds label {c}, outside its {perClass.Length} classes 0..{perClass.Length - 1}");
            perClass[c]++;
        }
        return perClass;
    }

    /// <summary>"10" when every class holds 10, else each class's count ("3,5,2,…"), as the random sets' records name them.</summary>
    private static string PerClassName(int[] perClass) =>
        perClass.Distinct().Count() == 1 ? perClass[0].ToString(CultureInfo.InvariantCulture)
            : string.Join(",", perClass.Select(n => n.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Random set <paramref name="round"/>: perClass[c] real training images of class c (its own seed), labelled
    /// by the teacher when the ranked set has soft labels; never a validation image of the step-size search.</summary>
    internal static SmallSet RandomSet(RankingRequest r, int[] perClass, int round)
    {
        var random = RandomSelection.Select(r.Train, perClass, SeedSequence.Derive(r.Seed, "ranking-random", round), exclude: r.StepSizes?.ValidationIndices);
        if (r.Set.SoftLabels is null) return random;
        using (random)
        {
            Tensor logits;
            using (var scope = new TensorScope()) logits = r.Teacher!(random.Images).To(DType.Float32, Device.Cpu).DetachFromScope();
            return random.WithSoftLabels(new SoftLabels(logits, SoftLabelKind.Logits, r.TeacherName));
        }
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
