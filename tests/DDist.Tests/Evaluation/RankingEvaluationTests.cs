using DDist.Artifacts;
using DDist.Data;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Tests.Data;
using DDist.Torch;

namespace DDist.Tests.Evaluation;

/// <summary><see cref="RankingEvaluation"/> on 2,000 Fashion-MNIST images: a soft-label set's random sets train on
/// the teacher's labels (a teacher that names the next class makes them miss the test set), and a ranking kept in a
/// folder is read back network by network rather than retrained.</summary>
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

            Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => RankingEvaluation.Run(request with { Teacher = null, Folder = null })).Message);
        }
    }
}
