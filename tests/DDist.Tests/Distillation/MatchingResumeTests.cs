using DDist.Artifacts;
using DDist.Distillation;
using DDist.Models;
using DDist.Tests.Training;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>DC, DSA and DM runs continue inside a run: stopped cleanly (cancelled) or killed after a periodic
/// checkpoint, a resumed run saves the same bytes as one that ran straight through.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class MatchingResumeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ddist-matching-resume-").FullName;
    public void Dispose() => Directory.Delete(_root, recursive: true);

    private MatchingCheckpoints At(string name, int every) => new(Path.Combine(_root, name), every);

    /// <summary>A BatchNorm network: DC's frozen statistics and DM's mixed-class batches are part of what must replay.</summary>
    private static INetwork Net() => ModelZoo.Create("ConvNetBN(width=4,depth=1)", 1, 3, 6, 6);

    /// <summary>Calls <paramref name="act"/> when the run reports iteration <paramref name="done"/> finished (synchronously,
    /// unlike Progress&lt;T&gt;).</summary>
    private sealed class WhenDone(long done, Action act) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport r) { if (r.Done == done) act(); }
    }

    private sealed class Killed : Exception;

    /// <summary>The bytes of the set's safetensors file, its creation time fixed (the only field that differs by design).</summary>
    private byte[] Bytes(SmallSet set, string name)
    {
        var path = Path.Combine(_root, name + ".safetensors");
        new SmallSet
        {
            Images = set.Images, Labels = set.Labels, IsDistilled = set.IsDistilled, SourceIndex = set.SourceIndex, Zca = set.Zca,
            Info = set.Info with { CreatedUtc = "fixed" },
        }.Save(path);
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData("dc")]
    [InlineData("dsa")]
    public void GradientMatching_StoppedOrKilledAndResumed_SavesTheSameSet(string method)
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 5);
        using var pool = new ClassImagePool(data);
        var o = new GradientMatchingOptions
        {
            Method = method, Ipc = 2, Iterations = 5, OuterLoop = 2, InnerLoop = 1, BatchReal = 8, BnImagesPerClass = 4,
            Start = SyntheticStart.Real, Dsa = method == "dsa", Seed = 9,
        };
        MatchingResult Run(MatchingCheckpoints at, IProgress<ProgressReport>? progress = null, CancellationToken ct = default) =>
            new GradientMatching(Net(), pool).Run(o, progress, ct, at);

        var straight = Run(At("straight", 0));
        using var straightSet = straight.Set;

        // Clean stop: cancelled after iteration 2; the checkpoint is written as the interrupted iteration began.
        using (var cts = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => Run(At("stopped", 0), new WhenDone(2, cts.Cancel), cts.Token));
        long live = LiveTensors.Settled();
        var resumed = Run(At("stopped", 0));
        using (resumed.Set)
        {
            Assert.Equal(Bytes(straightSet, "straight"), Bytes(resumed.Set, "stopped"));
            Assert.Equal(straight.Curve, resumed.Curve);
        }
        Assert.Equal(live, Tensor.LiveCount);

        // Hard kill in iteration 4 (0-based 3): the periodic checkpoint after iteration 2 is where it continues.
        Assert.Throws<Killed>(() => Run(At("killed", 2), new WhenDone(4, () => throw new Killed())));
        var afterKill = Run(At("killed", 2));
        using (afterKill.Set) Assert.Equal(Bytes(straightSet, "straight"), Bytes(afterKill.Set, "killed"));

        // A checkpoint is continued only by the same settings.
        var e = Assert.Throws<InvalidDataException>(() => new GradientMatching(Net(), pool).Run(o with { LrImg = 0.2 }, null, default, At("killed", 2)));
        Assert.Contains("'fingerprint'", e.Message);
    }

    [Fact]
    public void DistributionMatching_StoppedOrKilledAndResumed_SavesTheSameSet()
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 6);
        using var pool = new ClassImagePool(data);
        var o = new DistributionMatchingOptions { Ipc = 2, Iterations = 6, BatchReal = 8, Seed = 4 };     // DSA on: draws replay too
        MatchingResult Run(MatchingCheckpoints at, IProgress<ProgressReport>? progress = null, CancellationToken ct = default) =>
            new DistributionMatching(Net(), pool).Run(o, progress, ct, at);

        var straight = Run(At("straight", 0));
        using var straightSet = straight.Set;

        using (var cts = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => Run(At("stopped", 0), new WhenDone(3, cts.Cancel), cts.Token));
        var resumed = Run(At("stopped", 0));
        using (resumed.Set)
        {
            Assert.Equal(Bytes(straightSet, "straight"), Bytes(resumed.Set, "stopped"));
            Assert.Equal(straight.Curve, resumed.Curve);
        }

        Assert.Throws<Killed>(() => Run(At("killed", 2), new WhenDone(4, () => throw new Killed())));
        var afterKill = Run(At("killed", 2));
        using (afterKill.Set) Assert.Equal(Bytes(straightSet, "straight"), Bytes(afterKill.Set, "killed"));

        // Without a checkpoint folder nothing is written and the run is the same.
        var plain = new DistributionMatching(Net(), pool).Run(o);
        using (plain.Set) Assert.Equal(Bytes(straightSet, "straight"), Bytes(plain.Set, "plain"));
    }

    [Fact]
    public void ACheckpointPastTheRunsLengthIsRefused()
    {
        using var data = SyntheticData.Blobs(30, 3, seed: 7);
        using var pool = new ClassImagePool(data);
        var o = new DistributionMatchingOptions { Ipc = 1, Iterations = 3, BatchReal = 4, Seed = 1, Dsa = false };
        new DistributionMatching(Net(), pool).Run(o, null, default, At("long", 0)).Set.Dispose();
        var e = Assert.Throws<InvalidDataException>(() => new DistributionMatching(Net(), pool).Run(o with { Iterations = 2 }, null, default, At("long", 0)));
        Assert.Contains("'next_iteration'", e.Message);
        // A longer run continues the shorter one's final checkpoint.
        var longer = new DistributionMatching(Net(), pool).Run(o with { Iterations = 4 }, null, default, At("long", 0));
        using (longer.Set) Assert.Equal(4, longer.Curve.Count);
    }
}
