using System.Text.Json;
using DDist.Data;
using DDist.Distillation.Unrolled;
using DDist.Distillation.Unrolling;
using DDist.Models;

namespace DDist.Recipes;

/// <summary>The "unrolled" section of a DD / soft-label DD recipe; names and defaults as <see cref="DdOptions"/>.</summary>
public sealed record UnrolledSection
{
    public string Model { get; init; } = "LeNet";
    public int DistillSteps { get; init; } = 10;
    public int DistillEpochs { get; init; } = 3;
    public int ImagesPerClassPerStep { get; init; } = 1;
    public double DistillLr { get; init; } = 0.02;
    public double Lr { get; init; } = 0.01;
    public int DecayEpochs { get; init; } = 40;
    public double DecayFactor { get; init; } = 0.5;
    public int Epochs { get; init; } = 400;
    public int? MaxIterations { get; init; }
    public int BatchSize { get; init; } = 1024;
    /// <summary>"unknown" (xavier re-drawn every iteration, the random-init numbers) or "known" (one fixed init).</summary>
    public string Init { get; init; } = "unknown";
    public int Nets { get; init; } = 1;
    public double InitGain { get; init; } = 1.0;
    public int TestNets { get; init; } = 10;
    /// <summary>Crop-and-flip the real batches (the official CIFAR-10 loader; zero padding here, reflect there).</summary>
    public bool AugmentReal { get; init; }
    /// <summary>"full" or "exact" (bounded-memory recomputation, the same gradient); null = exact from 10 steps
    /// (distillSteps × distillEpochs), as trajectory matching's distill.unroll.</summary>
    public string? Unroll { get; init; }
}

/// <summary>A recipe for `ddist distill RECIPE --method dd|sld`: dataset, seed and the unrolled settings. It needs no
/// experts, scores or window (DD learns from noise). <see cref="Method"/> says which method the settings are
/// published for; the command's --method may run the other (SLD = DD plus learned labels).</summary>
public sealed record UnrolledRecipe
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Source { get; init; } = "";
    public required string Method { get; init; }
    public required string Dataset { get; init; }
    public int Seed { get; init; } = 1;
    public required UnrolledSection Unrolled { get; init; }

    public static UnrolledRecipe Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such recipe", path);
        UnrolledRecipe r;
        try { r = JsonSerializer.Deserialize<UnrolledRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw new RecipeException(path, [e.Message]); }
        var errors = r.Check();
        if (errors.Count > 0) throw new RecipeException(path, errors);
        return r;
    }

    public List<string> Check()
    {
        var e = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) e.Add("field 'name' is empty");
        if (Method is not ("dd" or "sld")) e.Add($"field 'method' is '{Method}', expected 'dd' or 'sld'");
        DatasetSpec? spec = null;
        try { spec = DatasetRegistry.TryGetSpec(Dataset); }
        catch (ArgumentException ex) { e.Add($"field 'dataset': {ex.Message}"); }
        try { ModelZoo.Create(Unrolled.Model, spec?.Channels ?? 3, spec?.NumClasses ?? 10, spec?.Height ?? 32, spec?.Width ?? 32); }
        catch (ArgumentException ex) { e.Add($"field 'unrolled.model': {ex.Message}"); }
        if (Unrolled.Init is not ("unknown" or "known")) e.Add($"field 'unrolled.init' is '{Unrolled.Init}', expected 'unknown' or 'known'");
        else if (Unrolled.Unroll is string u && !(UnrollModes.TryParse(u, out var mode) && mode != UnrollMode.Tesla))
            e.Add($"field 'unrolled.unroll' is '{u}', expected 'full' or 'exact'");
        else e.AddRange(ToOptions("check", learnLabels: false).Check().Select(m => m.Replace("field '", "field 'unrolled.")));
        return e;
    }

    public DdOptions ToOptions(string outputDir, bool learnLabels) => new()
    {
        Model = Unrolled.Model, DistillSteps = Unrolled.DistillSteps, DistillEpochs = Unrolled.DistillEpochs,
        ImagesPerClassPerStep = Unrolled.ImagesPerClassPerStep, DistillLr = Unrolled.DistillLr, Lr = Unrolled.Lr,
        DecayEpochs = Unrolled.DecayEpochs, DecayFactor = Unrolled.DecayFactor, Epochs = Unrolled.Epochs, MaxIterations = Unrolled.MaxIterations,
        BatchSize = Unrolled.BatchSize, Init = Unrolled.Init == "known" ? DdInit.Known : DdInit.Unknown, Nets = Unrolled.Nets,
        InitGain = Unrolled.InitGain, TestNets = Unrolled.TestNets, AugmentReal = Unrolled.AugmentReal, LearnLabels = learnLabels, Seed = Seed, OutputDir = outputDir,
        Unroll = Unrolled.Unroll is null ? null : UnrollModes.Parse(Unrolled.Unroll, "unrolled.unroll"),
    };
}
