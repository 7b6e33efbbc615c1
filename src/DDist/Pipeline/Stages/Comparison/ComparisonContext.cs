using System.Diagnostics;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Recipes;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training.Experts;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>What the stages of one comparison share within one process: the recipe, the folder, the data, the
/// embedding network herding, k-center and coverage read, the forgetting scores and MTT's experts (each made once per run and kept
/// in the folder, so every process of a split run reads the same ones), the sets made here, and the time of each
/// shared step for the table.</summary>
public sealed class ComparisonContext(ComparisonRecipe recipe, RunFolder folder, IProgress<ProgressReport>? progress, Action<string>? log,
                                      Device device, CancellationToken cancel) : IDisposable
{
    public const string ForgettingFile = "forgetting-scores.safetensors", EmbeddingFile = "embedding.safetensors",
                        FeaturesCostFile = "embedding-features.json";
    private const string EmbeddingStep = "embedding network", ForgettingStep = "forgetting scores", ExpertsStep = "MTT experts";
    /// <summary>What training each of MTT's experts cost, one file per expert (tasks of a split run time their own).</summary>
    private const string ExpertCostDir = "experts-cost";
    internal const string FeaturesStep = "embedding features", CoverageStep = "coverage radius", RankingStep = "ranking's random sets and whole-data network";

    private ComparisonData? _data;
    private EmbeddingNetwork? _embedding;
    private Tensor? _trainFeatures;
    private DifficultyScores? _forgetting;
    private ExpertStoreTrajectories? _experts;
    private ComparisonRanking? _ranking;
    private readonly Dictionary<ComparisonCell, (SmallSet Set, double Seconds)> _made = new();
    private readonly Dictionary<ComparisonCell, (ImageDataset Test, ZcaTransform Zca)> _whitenedTests = new();

    public ComparisonRecipe Recipe { get; } = recipe;
    public RunFolder Folder { get; } = folder;
    public IProgress<ProgressReport>? Progress { get; } = progress;
    public CancellationToken Cancel { get; } = cancel;
    /// <summary>Where the data lives and every network trains.</summary>
    public Device Device { get; } = device;
    /// <summary>Seconds of each shared step timed in this process (embedding network, forgetting scores, embedding
    /// features, coverage radius); <see cref="SharedCosts"/> adds what the kept files record.</summary>
    public Dictionary<string, double> SharedSeconds { get; } = new();
    /// <summary>The table, once the table stage has built it.</summary>
    public ComparisonResult? Result { get; set; }

    public void Log(string line) => log?.Invoke(line);

    public T Timed<T>(string what, Func<T> work)
    {
        Log($"{what}…");
        var clock = Stopwatch.StartNew();
        var r = work();
        SharedSeconds[what] = clock.Elapsed.TotalSeconds;
        return r;
    }

    public ComparisonData Data => _data ??= Load();

    /// <summary>The test set a cell's set is evaluated on: the comparison's, or for a ZCA-whitened set made elsewhere (an
    /// MTT or DATM run's, which whiten) the same test images whitened with the transform the set carries.</summary>
    public ImageDataset TestFor(ComparisonCell cell)
    {
        var set = Made(cell).Set;
        if (set.Zca is null) return Data.Test;
        if (_whitenedTests.TryGetValue(cell, out var kept)) return kept.Test;
        Log($"{cell}: the set is ZCA-whitened, so the test images are whitened with the transform it carries");
        var zca = ZcaTransform.FromTensors(set.Zca, Device);
        var raw = DatasetRegistry.Load(Recipe.Dataset);
        var test = ImageDataset.FromRaw(TestImages(raw), zca, Device, raw.Name);
        _whitenedTests[cell] = (test, zca);
        return test;
    }

    /// <summary>The comparison's training images whitened by <paramref name="zca"/> (a ZCA set's random sets are drawn
    /// from them); the caller disposes it.</summary>
    public ImageDataset WhitenedTrain(ZcaTransform zca)
    {
        var raw = DatasetRegistry.Load(Recipe.Dataset);
        return ImageDataset.FromRaw(Subset(raw.Train, Recipe.TrainPerClass, Recipe.Seed), zca, Device, raw.Name);
    }

    /// <summary>The ranking stages' shared state (the recipe's "ranking" section).</summary>
    public ComparisonRanking Ranking => _ranking ??= new ComparisonRanking(this,
        Recipe.Ranking ?? throw new InvalidOperationException($"recipe '{Recipe.Name}' has no 'ranking' section"));

    private ComparisonData Load()
    {
        var raw = DatasetRegistry.Load(Recipe.Dataset);
        var norm = DatasetRegistry.NormalizationFor(raw);
        var train = ImageDataset.FromRaw(Subset(raw.Train, Recipe.TrainPerClass, Recipe.Seed), norm, Device, raw.Name);
        var test = ImageDataset.FromRaw(TestImages(raw), norm, Device, raw.Name);
        return new ComparisonData(train, test);
    }

    /// <summary>The test images every set of the comparison is measured on.</summary>
    private RawImageSet TestImages(RawDataset raw) => Subset(raw.Test, Recipe.TestPerClass, Recipe.Seed + 1);

    private static RawImageSet Subset(RawImageSet set, int? perClass, int seed) =>
        perClass is int n ? set.Subset(SubsetSampler.ClassBalanced(set.Labels, set.NumClasses, n, seed)) : set;

    public INetwork Net(string model) => ModelZoo.Create(model, Data.Train.Channels, Data.Train.NumClasses, Data.Train.Height, Data.Train.Width);

    /// <summary>The network whose penultimate features herding, k-center and coverage use: read back, or trained (resumed
    /// from its checkpoint after an interruption) and kept.</summary>
    public EmbeddingNetwork Embedding
    {
        get
        {
            if (_embedding is not null) return _embedding;
            var path = Folder.Combine(EmbeddingFile);
            if (!File.Exists(path)) Log($"{EmbeddingStep}…");
            _embedding = EmbeddingNetwork.LoadOrTrain(path, Data.Train, Recipe.ToEmbeddingOptions(), out var trained, Progress, Cancel);
            if (trained) SharedSeconds[EmbeddingStep] = _embedding.Seconds;   // with the time of the processes before a resume
            return _embedding;
        }
    }

    /// <summary>The training set embedded. Every process that needs them embeds them again (a tensor the size of the
    /// training set is not worth keeping); the cost is kept beside, so a resumed run that embeds nothing still reports it.</summary>
    public Tensor TrainFeatures => _trainFeatures ??= EmbedTrainingSet();

    private Tensor EmbedTrainingSet()
    {
        var features = Timed(FeaturesStep, () => Embedding.Embed(Data.Train.Images));
        AtomicFile.WriteAllText(Folder.Combine(FeaturesCostFile), JsonSerializer.Serialize(new { seconds = SharedSeconds[FeaturesStep] }));
        return features;
    }

    /// <summary>Forgetting scores on the comparison's training set: read back, or trained (Toneva et al. 2019; each run
    /// kept in forgetting/ and checkpointed every epoch, so an interrupted computation resumes) and kept.</summary>
    public DifficultyScores Forgetting
    {
        get
        {
            if (_forgetting is not null) return _forgetting;
            var path = Folder.Combine(ForgettingFile);
            if (File.Exists(path)) return _forgetting = DifficultyScores.Load(path);
            var model = Recipe.Forgetting.Model ?? Recipe.Coreset.Model;
            var scores = Timed(ForgettingStep, () => new ForgettingScoreTrainer(() => Net(model), Data.Train)
                .Run(Recipe.ToForgettingOptions(), Progress, Cancel, runDir: Folder.Forgetting));
            _forgetting = scores with { Seconds = scores.Seconds ?? SharedSeconds[ForgettingStep] };
            SharedSeconds[ForgettingStep] = _forgetting.Seconds!.Value;
            _forgetting.Save(path);
            return _forgetting;
        }
    }

    /// <summary>MTT's experts, trained here where they are missing (a split run's experts unit has trained them), then read.</summary>
    public ExpertStoreTrajectories Experts
    {
        get
        {
            if (_experts is not null) return _experts;
            int count = Recipe.MttSettings.Experts.Count;
            for (int k = 0; k < count; k++)
                if (!ExpertTrainer.IsKept(Folder.Experts, k)) TrainExpert(k, count);
            return _experts = ExpertStoreTrajectories.Open(Folder.Experts, Net(Recipe.MttSettings.Experts.Model), Data.Train.Space);
        }
    }

    /// <summary>Trains expert <paramref name="index"/> of MTT's <paramref name="count"/> (resuming from its checkpoint)
    /// on the comparison's training set into experts/, and keeps what it cost.</summary>
    public void TrainExpert(int index, int count)
    {
        var train = Data.Train;
        var clock = Stopwatch.StartNew();
        // mtt.experts.trainPerClass: a class-balanced part of the comparison's training set (a CPU-sized shortcut).
        using var subset = Recipe.MttSettings.Experts.TrainPerClass is int per
            ? train.Subset(SubsetSampler.ClassBalanced(train.Labels.ToArray<long>().Select(l => (int)l).ToArray(), train.NumClasses, per, Recipe.Seed))
            : null;
        var images = subset ?? train;
        var info = new ExpertDataInfo(train.Name, train.Space, false, images.Count, train.Channels, train.Height, train.Width, train.NumClasses);
        new ExpertTrainer(Net(Recipe.MttSettings.Experts.Model), Recipe.ToMttExpertOptions(), info)
            .Train(Folder.Experts, images, null, new ShardSpec(index, count), Progress, Cancel);
        var cost = Folder.Combine(ExpertCostDir, $"expert-{index}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(cost)!);
        if (!File.Exists(cost)) AtomicFile.WriteAllText(cost, JsonSerializer.Serialize(new { seconds = clock.Elapsed.TotalSeconds }));
    }

    /// <summary><see cref="SharedSeconds"/> with the costs the shared files record added, for steps another process of a
    /// split run did (or an earlier run: a resumed run reads the files without timing anything), in the order the steps
    /// run in, whichever process timed them.</summary>
    public IReadOnlyDictionary<string, double> SharedCosts()
    {
        foreach (var (step, file) in new[] { (ForgettingStep, ForgettingFile), (EmbeddingStep, EmbeddingFile) })
        {
            var path = Folder.Combine(file);
            if (SharedSeconds.ContainsKey(step) || !File.Exists(path)) continue;
            using var f = SafeTensorsFile.Open(path);
            if (f.MetadataNumber("seconds") is double seconds) SharedSeconds[step] = seconds;
        }
        var featuresCost = Folder.Combine(FeaturesCostFile);
        if (!SharedSeconds.ContainsKey(FeaturesStep) && File.Exists(featuresCost))
            SharedSeconds[FeaturesStep] = ReadSeconds(featuresCost);
        var expertCosts = Folder.Combine(ExpertCostDir);
        if (Directory.Exists(expertCosts))
            SharedSeconds[ExpertsStep] = Directory.GetFiles(expertCosts, "expert-*.json").Sum(ReadSeconds);
        string[] order = [ForgettingStep, EmbeddingStep, ExpertsStep, FeaturesStep, CoverageStep, RankingStep];
        return SharedSeconds.OrderBy(kv => Array.IndexOf(order, kv.Key) is var i && i >= 0 ? i : order.Length)
                            .ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    private static double ReadSeconds(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble()
                : throw new InvalidDataException($"{path}: field 'seconds' is missing or not a number");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})", e); }
    }

    /// <summary>A cell's set and what making it cost: the one made in this process, or read back from its folder.</summary>
    public (SmallSet Set, double Seconds) Made(ComparisonCell cell)
    {
        if (_made.TryGetValue(cell, out var made)) return made;
        return _made[cell] = (SmallSet.Load(cell.SetPath(Folder)), ReadSeconds(cell.MadePath(Folder)));
    }

    public void Keep(ComparisonCell cell, SmallSet set, double seconds)
    {
        if (_made.Remove(cell, out var old)) old.Set.Dispose();
        _made[cell] = (set, seconds);
    }

    public void Dispose()
    {
        _ranking?.Dispose();
        foreach (var (set, _) in _made.Values) set.Dispose();
        foreach (var (test, zca) in _whitenedTests.Values)
        {
            test.Dispose();
            zca.Dispose();
        }
        _trainFeatures?.Dispose();
        _embedding?.Dispose();
        _data?.Dispose();
    }
}
