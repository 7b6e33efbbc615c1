using DDist.Augment;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Tests.Training.Experts;

[Collection(SerialRngCollection.Name)]
public sealed class ExpertTrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ddist-experts-" + Guid.NewGuid().ToString("N"));
    private readonly ImageDataset _train = SyntheticData.Blobs(90, 3, seed: 7);
    private readonly ImageDataset _test = SyntheticData.Blobs(30, 3, seed: 7, name: "test");
    private static readonly TinyNetwork Net = new(36, 8, 3, batchNorm: true);

    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Dir(string name) => Path.Combine(_root, name);

    private static readonly SharpnessAware Gsam = new() { Rho = 0.05, Alpha = 0.3 };

    private ExpertTrainer Trainer(int experts = 2, int epochs = 3, double momentum = 0.9, ulong seed = 42, bool convNetWithDsa = false, double lr = 0.05,
                                  SharpnessAware? gsam = null) =>
        new(convNetWithDsa ? ModelZoo.Create("ConvNetBN(width=4,depth=1)", 1, 3, 6, 6) : Net,
            new ExpertOptions
            {
                Model = Net.Name, NumExperts = experts, Epochs = epochs, BatchSize = 16, LearningRate = lr, Momentum = momentum, Seed = seed,
                Augmentation = convNetWithDsa ? AugMode.Dsa : AugMode.None, Sharpness = gsam,
            },
            new ExpertDataInfo("blobs", "none", false, _train.Count, 1, 6, 6, 3));

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.GetFiles(dir).ToDictionary(p => Path.GetFileName(p), File.ReadAllBytes);

    /// <summary>A learning rate that makes the loss infinite stops the expert with a divergence error naming the expert,
    /// the epoch and the settings (it used to fail on writing the infinite loss into the checkpoint's JSON).</summary>
    [Fact]
    public void ADivergingExpertStopsWithAnErrorNamingItsSettings()
    {
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer(experts: 1, epochs: 2, lr: 1e12).Train(Dir("diverged"), _train, null, ShardSpec.All));
        Assert.Contains("expert 1/1: training diverged in epoch 1", e.Message);
        Assert.Contains("learning rate (1000000000000)", e.Message);
        Assert.False(File.Exists(Path.Combine(Dir("diverged"), "expert_0000.safetensors")));
    }

    [Fact]
    public void WritesOneSnapshotPerEpochAndMetadata()
    {
        var summary = Trainer().Train(Dir("a"), _train, _test, ShardSpec.All);
        Assert.Equal([0, 1], summary.Trained);
        Assert.Equal(["expert_0000.json", "expert_0000.safetensors", "expert_0001.json", "expert_0001.safetensors"],
                     Files(Dir("a")).Keys.Order());
        Assert.False(Directory.Exists(Path.Combine(Dir("a"), ".partial")));

        var meta = ExpertMetadata.Load(Path.Combine(Dir("a"), "expert_0001.json"));
        Assert.Equal((1, 3, "TinyBN", Net.ParameterCount), (meta.Config.Index, meta.Config.Epochs, meta.Config.Model, meta.Config.ParameterCount));
        Assert.Equal(SeedSequence.Derive(42, "expert", 1), meta.Config.Seed);
        Assert.Equal(4, meta.History.TestAccuracy.Count);
        Assert.Equal(3, meta.History.TrainLoss.Count);

        using var file = DDist.Torch.IO.SafeTensorsFile.Open(Path.Combine(Dir("a"), "expert_0001.safetensors"));
        Assert.Equal(["epoch_000", "epoch_001", "epoch_002", "epoch_003"], file.Names);
        // Snapshot 0 is the initialisation drawn right after seeding with the expert's derived seed.
        Tensors.ManualSeed(meta.Config.Seed);
        using var init = Net.InitParameters();
        using var stored = file.Read("epoch_000");
        Assert.Equal(init.ToArray<float>(), stored.ToArray<float>());
        using var last = file.Read("epoch_003");
        Assert.NotEqual(init.ToArray<float>(), last.ToArray<float>());
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]   // ConvNetBN with DSA: augmentation draws and BN statistics must resume too
    [InlineData(true, true)]    // and with GSAM's second pass (FTD's experts), which must not touch them
    public void InterruptedExpertResumesToIdenticalFiles(bool convNetWithDsa, bool gsam)
    {
        ExpertTrainer Trainer() => this.Trainer(convNetWithDsa: convNetWithDsa, gsam: gsam ? Gsam : null);
        Trainer().Train(Dir("whole"), _train, _test, ShardSpec.All);

        // Cancel expert 1 in the middle of its third epoch (after the checkpoint of epoch 2 was written).
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<ProgressReport>(r =>
        {
            if (r.Stage.StartsWith("expert 2/") && r.Metrics is { } m && m.ContainsKey("test_acc") && m["epoch"] == 2) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer().Train(Dir("cut"), _train, _test, ShardSpec.All, progress, cts.Token));
        Assert.True(File.Exists(Path.Combine(Dir("cut"), ".partial", "expert_0001", "checkpoint.safetensors")));
        Assert.False(File.Exists(Path.Combine(Dir("cut"), "expert_0001.safetensors")));

        var resumed = Trainer().Train(Dir("cut"), _train, _test, ShardSpec.All);
        Assert.Equal([1], resumed.Trained);
        Assert.Equal([0], resumed.Skipped);
        var whole = Files(Dir("whole"));
        var cut = Files(Dir("cut"));
        Assert.Equal(whole.Keys.Order(), cut.Keys.Order());
        foreach (var (name, bytes) in whole) Assert.True(bytes.AsSpan().SequenceEqual(cut[name]), $"{name} differs after resume");
    }

    [Fact]
    public void ShardsCoverEveryExpertOnceWithUnchangedResults()
    {
        Trainer(experts: 5, epochs: 1).Train(Dir("all"), _train, null, ShardSpec.All);
        var seen = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            var s = Trainer(experts: 5, epochs: 1).Train(Dir("shards"), _train, null, new ShardSpec(i, 3));
            Assert.Empty(s.Skipped);
            seen.AddRange(s.Trained);
        }
        Assert.Equal([0, 1, 2, 3, 4], seen.Order());
        var all = Files(Dir("all"));
        var sharded = Files(Dir("shards"));
        Assert.Equal(all.Keys.Order(), sharded.Keys.Order());
        foreach (var (name, bytes) in all) Assert.True(bytes.AsSpan().SequenceEqual(sharded[name]), $"{name} differs when sharded");
    }

    [Fact]
    public void RerunSkipsFinishedExpertsAndRejectsOtherSettings()
    {
        Trainer(epochs: 1).Train(Dir("a"), _train, null, ShardSpec.All);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(Dir("a"), "expert_0000.safetensors"));
        // A kill between keeping expert 1 and dropping its checkpoint leaves the checkpoint: the expert counts as
        // unfinished until a rerun, which keeps the expert and only drops the checkpoint.
        var left = Path.Combine(Dir("a"), ".partial", "expert_0001");
        Directory.CreateDirectory(left);
        File.WriteAllText(Path.Combine(left, "epoch_000.safetensors"), "left by a killed run");
        Assert.True(ExpertTrainer.HasCheckpoint(Dir("a"), 1));
        Assert.False(ExpertTrainer.HasCheckpoint(Dir("a"), 0));
        var again = Trainer(epochs: 1).Train(Dir("a"), _train, null, ShardSpec.All);
        Assert.Empty(again.Trained);
        Assert.Equal([0, 1], again.Skipped);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(Dir("a"), "expert_0000.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(Dir("a"), ".partial")));

        var e = Assert.Throws<InvalidDataException>(() => Trainer(epochs: 2).Train(Dir("a"), _train, null, ShardSpec.All));
        Assert.Contains("expert_0000.json", e.Message);
        Assert.Contains("epochs: 1 vs 2", e.Message);
        // Plain SGD's experts are not GSAM's (FTD's flat trajectories), nor are GSAM's of another radius.
        e = Assert.Throws<InvalidDataException>(() => Trainer(epochs: 1, gsam: Gsam).Train(Dir("a"), _train, null, ShardSpec.All));
        Assert.Contains("sharpness: absent vs {\"rho\":0.05,\"alpha\":0.3,\"adaptive\":true}", e.Message);
        Trainer(experts: 1, epochs: 1, gsam: Gsam).Train(Dir("g"), _train, null, ShardSpec.All);
        Assert.Equal(Gsam, ExpertMetadata.Load(Path.Combine(Dir("g"), "expert_0000.json")).Config.Sharpness);
        e = Assert.Throws<InvalidDataException>(() => Trainer(experts: 1, epochs: 1, gsam: Gsam with { Rho = 0.01 }).Train(Dir("g"), _train, null, ShardSpec.All));
        Assert.Contains("sharpness: {\"rho\":0.05,\"alpha\":0.3,\"adaptive\":true} vs {\"rho\":0.01", e.Message);
    }

    [Fact]
    public void StoreListsExpertsAndReadsOneEpoch()
    {
        Trainer(experts: 3, epochs: 2).Train(Dir("s"), _train, null, new ShardSpec(0, 2));   // experts 0 and 2
        var store = ExpertStore.Open(Dir("s"));
        Assert.Equal([0, 2], store.Experts.Select(x => x.Index));
        Assert.Equal(2, store.Config.Epochs);
        using var p = store.ReadEpoch(1, 2);
        Assert.Equal([Net.ParameterCount], p.Shape);
        using var file = DDist.Torch.IO.SafeTensorsFile.Open(Path.Combine(Dir("s"), "expert_0002.safetensors"));
        using var direct = file.Read("epoch_002");
        Assert.Equal(direct.ToArray<float>(), p.ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadEpoch(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadEpoch(2, 0));
    }

    [Fact]
    public void StoreRefusesMissingOrEmptyDirectories()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ExpertStore.Open(Dir("nowhere")));
        Directory.CreateDirectory(Dir("empty"));
        var e = Assert.Throws<InvalidDataException>(() => ExpertStore.Open(Dir("empty")));
        Assert.Contains("no finished experts", e.Message);
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    public void ShardParses(string text, int i, int n) => Assert.Equal(new ShardSpec(i, n), ShardSpec.Parse(text));

    [Theory]
    [InlineData("4/4")]
    [InlineData("1")]
    [InlineData("-1/2")]
    [InlineData("a/b")]
    [InlineData("0/0")]
    public void BadShardsAreRejected(string text) =>
        Assert.Contains(text, Assert.Throws<FormatException>(() => ShardSpec.Parse(text)).Message);
}
