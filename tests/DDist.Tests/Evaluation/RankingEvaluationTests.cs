using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Tests.Data;
using DDist.Torch;

namespace DDist.Tests.Evaluation;

/// <summary><see cref="RankingEvaluation"/> on 2,000 Fashion-MNIST images: a soft-label set's random sets train on
/// the teacher's labels (a teacher that names the next class makes them miss the test set), a ranking kept in a
/// folder is read back network by network rather than retrained, and sets ranked through one shared folder share their
/// random sets' networks; the step-size search chooses on held-out images.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class RankingEvaluationTests : IDisposable
{
    private readonly TempDir _temp = new();
    public void Dispose() => _temp.Dispose();

    private static (ImageDataset Train, ImageDataset Test) Data()
    {
        var raw = DatasetRegistry.Load("fashion-mnist");
        var norm = DatasetRegistry.GetSpec("fashion-mnist").DefaultNormalization;
        var trainIdx = raw.Train.IndicesByClass().SelectMany(c => c.Take(200)).Select(i => (long)i).ToArray();
        var testIdx = raw.Test.IndicesByClass().SelectMany(c => c.Take(100)).Select(i => (long)i).ToArray();
        return (ImageDataset.FromRaw(raw.Train.Subset(trainIdx), norm, Device.Cpu, raw.Name), ImageDataset.FromRaw(raw.Test.Subset(testIdx), norm, Device.Cpu, raw.Name));
    }

    private static readonly EvalProtocol Protocol = EvalProtocol.Dc("ConvNet(width=8,depth=1)", epochs: 20) with { Networks = 2 };

    /// <summary>Logits that make class (c + 1) mod 10 the target of every image of class c, each image's class read
    /// from the training image with its very pixels (the random set's images are training images, in the draw's order).</summary>
    private static Func<Tensor, Tensor> NextClassTeacher(ImageDataset train)
    {
        var pixels = train.Images.ToArray<float>();
        var labels = train.Labels.ToArray<long>();
        int size = pixels.Length / labels.Length;
        var classOf = Enumerable.Range(0, labels.Length).ToLookup(i => string.Join(",", pixels.AsSpan(i * size, size).ToArray()), i => labels[i]);
        return images =>
        {
            var x = images.ToArray<float>();
            var classes = Enumerable.Range(0, x.Length / size).Select(i => classOf[string.Join(",", x.AsSpan(i * size, size).ToArray())].First()).ToArray();
            return Tensors.FromArray(classes.SelectMany(c => Enumerable.Range(0, 10).Select(k => k == (c + 1) % 10 ? 8f : 0f)).ToArray(), classes.Length, 10);
        };
    }

    [Fact]
    public void ASoftLabelSetsRandomSetsTrainOnTheTeachersLabels()
    {
        var (train, test) = Data();
        using (train)
        using (test)
        using (var plain = RandomSelection.Select(train, 3, 11))
        {
            var nextClass = NextClassTeacher(train);
            // The set's own soft labels are its classes (one-hot logits): it trains as a hard-label set would.
            var classes = plain.Labels.ToArray<long>();
            var ownLogits = classes.SelectMany(c => Enumerable.Range(0, 10).Select(k => k == c ? 8f : 0f)).ToArray();
            using var set = plain.WithSoftLabels(new SoftLabels(Tensors.FromArray(ownLogits, classes.Length, 10), SoftLabelKind.Logits, "own classes"));
            var request = new RankingRequest
            {
                Set = set, Train = train, Test = test, Protocol = Protocol, Seed = 5, FullAccuracy = 0.8,
                Teacher = nextClass, TeacherName = "next class", Folder = _temp.Combine("ranking"),
            };
            var r = RankingEvaluation.Run(request);
            Assert.True(r.Random.Mean < 0.15, $"random images labelled one class on: {r.Random.Mean:P1}");
            Assert.True(r.Set.Mean > 0.4, $"the set on its own classes: {r.Set.Mean:P1}");
            Assert.True(r.ImprovementOverRandom.All(d => d > 0.25));
            Assert.NotNull(r.AugmentationRobust);

            // Kept network by network: a second run reads every result back (a teacher that would fail is never asked).
            var again = RankingEvaluation.Run(request with { Teacher = _ => throw new InvalidOperationException("retrained a kept network") });
            Assert.Equal(r.Random.Accuracies, again.Random.Accuracies);
            Assert.Equal(r.LabelRobust, again.LabelRobust);
            Assert.Equal(r.AugmentationRobust, again.AugmentationRobust);
            // Another set in the same folder is trained anew (the kept files name the set they trained on).
            using var otherImages = RandomSelection.Select(train, 3, 12);
            using var other = otherImages.WithSoftLabels(new SoftLabels(Tensors.FromArray(ownLogits, classes.Length, 10), SoftLabelKind.Logits, "own classes"));
            Assert.NotEqual(r.Set.Accuracies, RankingEvaluation.Run(request with { Set = other }).Set.Accuracies);

            // Rankings that keep the set-independent evaluations in one shared folder label and train the random sets once.
            var shared = request with { Folder = _temp.Combine("one"), SharedFolder = _temp.Combine("shared") };
            var first = RankingEvaluation.Run(shared);
            var second = RankingEvaluation.Run(shared with { Set = other, Folder = _temp.Combine("two"), Teacher = _ => throw new InvalidOperationException("relabelled a kept random set") });
            Assert.Equal(first.Random.Accuracies, second.Random.Accuracies);
            Assert.Equal(first.RandomWithoutAugmentation!.Accuracies, second.RandomWithoutAugmentation!.Accuracies);

            Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => RankingEvaluation.Run(request with { Teacher = null, Folder = null })).Message);
        }
    }

    /// <summary>The step-size search: each evaluation without a learned step size trains at the candidate that scores
    /// best on the held-out images (a step size that cannot move the network in 20 epochs loses, in either order),
    /// a set's learned step size is not searched, no random set holds a held-out image, and the candidates' networks
    /// are kept in the folder so a second run reads them back.</summary>
    [Fact]
    public void TheStepSizeSearchChoosesOnHeldOutImagesThatNoRandomSetHolds()
    {
        var (train, test) = Data();
        using (train)
        using (test)
        using (var set = RandomSelection.Select(train, 3, 11))
        {
            var (validation, indices) = ValidationSplit.Carve(train, 20, set.SourceIndex.ToHashSet(), 3);
            using (validation)
            {
                var search = new StepSizeSearch
                {
                    Candidates = [1e-6, 0.01], Validation = validation, ValidationIndices = indices.ToHashSet(), ValidationName = "20 per class, seed 3",
                };
                var request = new RankingRequest
                {
                    Set = set, Train = train, Test = test, Protocol = Protocol with { Augmentation = AugMode.None }, Seed = 5, FullAccuracy = 0.8,
                    StepSizes = search, Folder = _temp.Combine("searched"),
                };
                var reports = new Reports();
                var r = RankingEvaluation.Run(request, reports);
                Assert.Equal(["set", "random"], r.StepSizes.Select(c => c.Part));
                // Progress calls the candidates' scores validation accuracies: 2 candidates × (set, random), one network each.
                int Reported(string key) => reports.All.Count(x => x.Metrics?.ContainsKey(key) == true);
                Assert.Equal(4, Reported(EvaluatorBinding.ValidationAccuracyKey));
                Assert.Equal(2 * Protocol.Networks, Reported("test_acc"));
                foreach (var choice in r.StepSizes)
                {
                    Assert.Equal(0.01, choice.Chosen);
                    Assert.True(choice.Validation[1].Mean > choice.Validation[0].Mean + 0.2, choice.ToString());
                }
                Assert.True(File.Exists(Path.Combine(request.Folder, "lr-search", "random", "lr-1E-06", "net-0.json")));
                for (int round = 0; round < Protocol.Networks; round++)
                    using (var random = RankingEvaluation.RandomSet(request, RankingEvaluation.ClassCounts(request.Set), round))
                        Assert.DoesNotContain(random.SourceIndex, i => search.ValidationIndices.Contains((int)i));

                var reversed = RankingEvaluation.Run(request with { StepSizes = search with { Candidates = [0.01, 1e-6] }, Folder = null });
                Assert.All(reversed.StepSizes, c => Assert.Equal(0.01, c.Chosen));
                Assert.Equal(r.Random.Accuracies, reversed.Random.Accuracies);   // the same draws and networks at the step size chosen

                // A set with a learned step size trains at it; only its random sets are searched.
                using var learned = new SmallSet
                {
                    Images = set.Images.Alias(), Labels = set.Labels.Alias(), IsDistilled = set.IsDistilled, SourceIndex = set.SourceIndex, Info = set.Info, LearnedLr = 0.02,
                };
                var withLr = RankingEvaluation.Run(request with { Set = learned, Protocol = request.Protocol with { UseLearnedLr = true } });
                Assert.Equal(["random"], withLr.StepSizes.Select(c => c.Part));
                Assert.Equal(r.Random.Accuracies, withLr.Random.Accuracies);   // read back from the folder

                Assert.Throws<ArgumentException>(() => RankingEvaluation.Run(request with { StepSizes = search with { Candidates = [0.01, -1] } }));
                Assert.Throws<ArgumentException>(() => RankingEvaluation.Run(request with { StepSizes = search with { Candidates = [0.01, 0.01] } }));
            }
        }
    }

    private sealed class Reports : IProgress<ProgressReport>
    {
        public readonly List<ProgressReport> All = [];
        public void Report(ProgressReport value) { lock (All) All.Add(value); }
    }

    /// <summary>A set that holds more images of some classes than of others (an imported coreset, say) is ranked
    /// against random sets of its very class counts, drawn anew each round; kept under a name that says the counts.</summary>
    [Fact]
    public void ASetWithUnequalClassCountsIsRankedAgainstRandomSetsOfItsCounts()
    {
        var (train, test) = Data();
        using (train)
        using (test)
        {
            int[] counts = [1, 2, 3, 1, 2, 3, 1, 2, 3, 4];
            using var set = RandomSelection.Select(train, counts, 21);
            var request = new RankingRequest
            {
                Set = set, Train = train, Test = test, Protocol = Protocol with { Augmentation = AugMode.None }, Seed = 5, FullAccuracy = 0.8,
                SharedFolder = _temp.Combine("shared"), Folder = _temp.Combine("set"),
            };
            Assert.Equal(counts, RankingEvaluation.ClassCounts(set));
            var r = RankingEvaluation.Run(request);
            Assert.Equal(Protocol.Networks, r.Random.Accuracies.Length);
            Assert.All(r.LabelRobust, s => Assert.True(double.IsFinite(s)));
            var draws = Enumerable.Range(0, Protocol.Networks).Select(k => RankingEvaluation.RandomSet(request, counts, k)).ToList();
            try
            {
                Assert.All(draws, d => Assert.Equal(counts, RankingEvaluation.ClassCounts(d)));
                Assert.NotEqual(draws[0].SourceIndex, draws[1].SourceIndex);
            }
            finally { draws.ForEach(d => d.Dispose()); }
            var kept = Assert.Single(Directory.GetDirectories(request.SharedFolder!, "random-*"));
            Assert.Contains("random sets of 1,2,3,1,2,3,1,2,3,4 per class", File.ReadAllText(Directory.GetFiles(kept, "*.json").First()));
        }
    }

    /// <summary>The best candidate by mean validation accuracy; of equals, the first given.</summary>
    [Fact]
    public void TheBestStepSizeIsTheFirstOfEquals()
    {
        var scores = new[] { EvalResult.From([0.5]), EvalResult.From([0.7]), EvalResult.From([0.7]) };
        Assert.Equal(0.1, StepSizeChoice.Best("random", [0.01, 0.1, 0.05], scores).Chosen);
        Assert.Equal(0.05, StepSizeChoice.Best("random", [0.01, 0.05, 0.1], [scores[0], scores[2], scores[1]]).Chosen);
    }
}
