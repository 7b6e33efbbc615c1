using System.Text.Json;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Evaluation;
using DDist.Models;
using DDist.Selection;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Recipes;

/// <summary>The "matching" section of a DATM / TESLA-label recipe: MTT's settings plus the soft-label ones
/// (Guo et al. 2024 `configs/*`, Cui et al. 2023).</summary>
public sealed record SoftMatchingSection
{
    public required int Iterations { get; init; }
    public required int SynSteps { get; init; }
    public int ExpertEpochs { get; init; } = 2;
    public int MinStartEpoch { get; init; }
    public required int MaxStartEpoch { get; init; }
    public bool SequentialGeneration { get; init; }
    public int? CurrentMaxStartEpoch { get; init; }
    public int ExpansionEndEpoch { get; init; } = 1;
    public int? BatchSyn { get; init; }
    public double LrImg { get; init; } = 1000;
    public double LrLr { get; init; } = 1e-5;
    /// <summary>α₀ (DATM's lr_teacher, 0.01).</summary>
    public double LrInit { get; init; } = 0.01;
    public double LrY { get; init; } = 2;
    public double MomentumY { get; init; } = 0.9;
    public double Threshold { get; init; } = 1.0;
    /// <summary>"predicted-correctly" (DATM) or "real" (random real images of the class, MTT / TESLA).</summary>
    public string Init { get; init; } = "predicted-correctly";
    public bool Dsa { get; init; } = true;
    public string? DsaStrategy { get; init; }
    /// <summary>"full", "exact" (bounded-memory recomputation, the same gradient) or "tesla" (approximate), as MTT's
    /// distill.unroll; null = exact from 10 synSteps on.</summary>
    public string? Unroll { get; init; }
}

/// <summary>A recipe for `ddist distill RECIPE --method datm|tesla`: dataset, IPC, experts (trained into the output
/// folder when missing), the matching settings and the evaluation protocol (trained on the soft labels).</summary>
public sealed record SoftLabelRecipe
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Source { get; init; } = "";
    public required string Method { get; init; }
    public required string Dataset { get; init; }
    public required int Ipc { get; init; }
    public int Seed { get; init; }
    public required ExpertRecipe Experts { get; init; }
    public required SoftMatchingSection Matching { get; init; }
    public required EvalRecipe Evaluation { get; init; }

    private static readonly Dictionary<string, int> SmallestClass = new()
    {
        ["mnist"] = 5421, ["fashion-mnist"] = 6000, ["cifar10"] = 5000, ["cifar100"] = 500, ["tiny-imagenet"] = 500,
    };

    public static SoftLabelRecipe Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such recipe", path);
        SoftLabelRecipe r;
        try { r = JsonSerializer.Deserialize<SoftLabelRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw new RecipeException(path, [e.Message]); }
        var errors = r.Check();
        if (errors.Count > 0) throw new RecipeException(path, errors);
        return r;
    }

    public LabelSource Labels => Method == "tesla" ? LabelSource.Teacher : LabelSource.Learned;

    public List<string> Check()
    {
        var e = new List<string>();
        void Need(bool ok, string field, string what) { if (!ok) e.Add($"field '{field}' {what}"); }
        Need(!string.IsNullOrWhiteSpace(Name), "name", "is empty");
        Need(Method is "datm" or "tesla", "method", $"is '{Method}', expected 'datm' or 'tesla'");
        DatasetSpec? spec = null;
        try { spec = DatasetRegistry.TryGetSpec(Dataset); }
        catch (ArgumentException ex) { e.Add($"field 'dataset': {ex.Message}"); }
        Need(Ipc >= 1, "ipc", $"is {Ipc}, expected ≥ 1");
        if (spec is not null && SmallestClass.TryGetValue(spec.Name, out var min))
            Need(Ipc <= min, "ipc", $"is {Ipc}, larger than the smallest class of {spec.Name} ({min} images)");
        foreach (var (field, model) in new[] { ("experts.model", Experts.Model), ("evaluation.model", Evaluation.Model) })
            try { ModelZoo.Create(model, spec?.Channels ?? 3, spec?.NumClasses ?? 10, spec?.Height ?? 32, spec?.Width ?? 32); }
            catch (ArgumentException ex) { e.Add($"field '{field}': {ex.Message}"); }
        Need(Experts.Count >= 1, "experts.count", $"is {Experts.Count}, expected ≥ 1 (DATM and TESLA need expert trajectories)");
        Need(Experts.Epochs >= 1, "experts.epochs", $"is {Experts.Epochs}, expected ≥ 1");
        Need(Experts.Augmentation is "none" or "dsa", "experts.augmentation", $"is '{Experts.Augmentation}', expected 'none' or 'dsa'");
        Need(Matching.Init is "predicted-correctly" or "real", "matching.init", $"is '{Matching.Init}', expected 'predicted-correctly' or 'real'");
        try { EvalProtocol.Preset(Evaluation.Protocol); }
        catch (ArgumentException ex) { e.Add($"field 'evaluation.protocol': {ex.Message}"); }
        Need(Evaluation.Epochs >= 1, "evaluation.epochs", $"is {Evaluation.Epochs}, expected ≥ 1");
        Need(Evaluation.Nets >= 1, "evaluation.nets", $"is {Evaluation.Nets}, expected ≥ 1");
        if (Matching.Unroll is string u && !DDist.Distillation.Unrolling.UnrollModes.TryParse(u, out _))
            e.Add($"field 'matching.unroll' is '{u}', expected 'full', 'exact' or 'tesla'");
        else try { ToMatchingOptions("check").Validate(Experts.Epochs); }
        catch (ArgumentOutOfRangeException ex) { e.Add(Rename(ex.Message)); }
        e.AddRange(ToSoftLabelOptions().Check(Experts.Epochs, Matching.ExpertEpochs).Select(m => m.Replace("field '", "field 'matching.")));
        return e.Distinct().ToList();
    }

    /// <summary>TrajectoryMatchingOptions names its fields in C# (SynSteps); the recipe's are matching.synSteps.</summary>
    private static string Rename(string message)
    {
        int a = message.IndexOf("field '", StringComparison.Ordinal);
        if (a < 0) return message;
        int b = message.IndexOf('\'', a + 7);
        var name = message[(a + 7)..b];
        var json = "matching." + char.ToLowerInvariant(name[0]) + name[1..];
        var text = message[..a] + $"field '{json}'" + message[(b + 1)..];
        int paren = text.IndexOf(" (Parameter", StringComparison.Ordinal);
        return paren >= 0 ? text[..paren] : text;
    }

    public TrajectoryMatchingOptions ToMatchingOptions(string outputDir) => new()
    {
        Iterations = Matching.Iterations, SynSteps = Matching.SynSteps, ExpertEpochs = Matching.ExpertEpochs,
        MaxStartEpoch = Matching.MaxStartEpoch, BatchSyn = Matching.BatchSyn, LrImg = Matching.LrImg, LrLr = Matching.LrLr,
        LrInit = Matching.LrInit, Seed = Seed, OutputDir = outputDir, Method = Method, CheckpointEvery = 50,
        Unroll = Matching.Unroll is null ? DDist.Distillation.Unrolling.UnrollModes.DefaultFor(Matching.SynSteps)
                                         : DDist.Distillation.Unrolling.UnrollModes.Parse(Matching.Unroll, "matching.unroll"),
    };

    public SoftLabelMatchingOptions ToSoftLabelOptions() => new()
    {
        Labels = Labels, FirstExpertLabels = Matching.Init == "real", LrY = Matching.LrY, MomentumY = Matching.MomentumY, Threshold = Matching.Threshold,
        Range = new MatchingRange(Matching.MinStartEpoch, Matching.MaxStartEpoch, Matching.SequentialGeneration,
                                  Matching.CurrentMaxStartEpoch ?? Matching.MaxStartEpoch, Matching.ExpansionEndEpoch),
    };

    public ExpertOptions ToExpertOptions() => new()
    {
        Model = Experts.Model, NumExperts = Experts.Count, Epochs = Experts.Epochs, LearningRate = Experts.Lr,
        Momentum = Experts.Momentum, WeightDecay = Experts.WeightDecay, BatchSize = Experts.BatchSize,
        Augmentation = Augmentation.Parse(Experts.Augmentation), DsaStrategy = DsaStrategy, Seed = (ulong)Seed,
    };

    public string DsaStrategy => Matching.DsaStrategy ?? DsaStrategies.ForDataset(Dataset);

    /// <summary>The evaluation protocol; trajectory-matching protocols train with the learned α (set per set).</summary>
    public EvalProtocol ToEvalProtocol()
    {
        var p = EvalProtocol.Preset(Evaluation.Protocol) with { Model = Evaluation.Model, Epochs = Evaluation.Epochs, Networks = Evaluation.Nets };
        if (Evaluation.Lr is double lr) p = p with { LearningRate = lr };
        if (Evaluation.BatchSize is int b) p = p with { BatchSize = b };
        if (Evaluation.Augmentation is string a) p = p with { Augmentation = Augmentation.Parse(a) };
        return p with { AugmentOptions = p.AugmentOptions with { DsaStrategy = DsaStrategy } };
    }
}
