using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Tests.Selection;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>The parts of one MTT outer iteration (Cazenavette et al. 2022, `distill.py`) that a wrong port could get
/// silently wrong: which expert epochs are matched, and how the student's mini-batches walk the synthetic set.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class MatchingSchemeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-scheme-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Records every snapshot read, in order.</summary>
    private sealed class RecordingTrajectories(IExpertTrajectories inner) : IExpertTrajectories
    {
        public List<(int Expert, int Epoch)> Reads { get; } = new();
        public int ExpertCount => inner.ExpertCount;
        public int EpochCount => inner.EpochCount;
        public Tensor Read(int expert, int epoch)
        {
            Reads.Add((expert, epoch));
            return inner.Read(expert, epoch);
        }
    }

    /// <summary>θ0 = expert snapshot t with t uniform in [0, max_start_epoch − 1], θ* = snapshot t + expert_epochs of
    /// the same expert, the expert uniform over all of them; nothing else is read.</summary>
    [Fact]
    public void StartEpochIsUniformBelowMaxStartAndTargetIsExpertEpochsLater()
    {
        const int classes = 2, maxStart = 3, expertEpochs = 2, iterations = 60;
        var labels = ToyData.Interleaved(4, classes);
        using var data = ToyData.Make(labels, classes);
        var net = new TinyNet(1, classes, 4, 4);
        using var trained = InMemoryTrajectories.Train(net, data, experts: 2, epochs: 6, stepsPerEpoch: 1, lr: 0.1, seed: 3);
        var experts = new RecordingTrajectories(trained);
        var perClass = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray()).ToArray();
        using var syn = SyntheticSet.FromIndices(data, perClass, perClass.Select(_ => Array.Empty<int>()).ToArray(), 4);
        var options = new TrajectoryMatchingOptions
        {
            Iterations = iterations, SynSteps = 1, ExpertEpochs = expertEpochs, MaxStartEpoch = maxStart, LrImg = 1, LrLr = 1e-6,
            LrInit = 0.01, Seed = 5, CheckpointEvery = 0, OutputDir = _dir, EvalBudget = new EvalBudget(1, 1),
        };
        using var result = new TrajectoryMatching(net, experts, syn, "none").Run(options);

        Assert.Equal(2 * iterations, experts.Reads.Count);
        var pairs = experts.Reads.Chunk(2).Select(p => (Start: p[0], Target: p[1])).ToArray();
        Assert.All(pairs, p =>
        {
            Assert.Equal(p.Start.Expert, p.Target.Expert);
            Assert.Equal(p.Start.Epoch + expertEpochs, p.Target.Epoch);
            Assert.InRange(p.Start.Epoch, 0, maxStart - 1);
        });
        // With 60 draws every start epoch and every expert turns up (a miss has probability < 1e-9).
        Assert.Equal(Enumerable.Range(0, maxStart), pairs.Select(p => p.Start.Epoch).Distinct().Order());
        Assert.Equal([0, 1], pairs.Select(p => p.Start.Expert).Distinct().Order());
    }

    /// <summary>Mini-batches: a fresh random permutation of all synthetic indices whenever the previous one is used up,
    /// split into chunks of batch_syn, the last (possibly short) chunk taken first (`list.pop()`); without batch_syn
    /// every step sees the whole set.</summary>
    [Fact]
    public void StudentBatchesWalkPermutationsFromTheShortLastChunk()
    {
        const int n = 10;
        using var scope = new TensorScope();
        // Image i is filled with the value i, so a batch reveals which images it holds.
        var images = Tensors.FromArray(Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat((float)i, 16)).ToArray(), n, 1, 4, 4);
        var labels = Tensors.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray());
        var net = new TinyNet(1, 2, 4, 4);
        Tensors.ManualSeed(7);
        var theta = net.InitParameters();
        var batches = new List<int[]>();
        Tensor Record(Tensor x)
        {
            using var cpu = x.Detach().Contiguous();
            var v = cpu.ToArray<float>();
            batches.Add(Enumerable.Range(0, (int)x.Size(0)).Select(i => (int)v[i * 16]).ToArray());
            return x;
        }

        TrajectoryMatchingLoss.Compute(net, images, labels, Tensors.Scalar(0.01), theta, theta * 0.5, synSteps: 5, batchSyn: 4, augment: Record);
        Assert.Equal([2, 4, 4, 2, 4], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, n), batches.Take(3).SelectMany(b => b).Order());       // one permutation, each image once
        Assert.Empty(batches[3].Intersect(batches[4]));                                       // the next permutation
        Assert.NotEqual(Enumerable.Range(0, n), batches.Take(3).SelectMany(b => b));          // shuffled, not in order

        batches.Clear();
        TrajectoryMatchingLoss.Compute(net, images, labels, Tensors.Scalar(0.01), theta, theta * 0.5, synSteps: 3, batchSyn: null, augment: Record);
        Assert.All(batches, b => Assert.Equal(Enumerable.Range(0, n), b.Order()));
        Assert.Equal(3, batches.Count);
    }
}
