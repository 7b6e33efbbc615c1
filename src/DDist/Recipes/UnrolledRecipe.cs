using System.Text.Json;
using DDist.Data;
using DDist.Distillation.Unrolled;
using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch.IO;

namespace DDist.Recipes;

/// <summary>The "unrolled" section of a DD / soft-label DD recipe: <see cref="DdSettings"/> as read from JSON, handed
/// whole to <see cref="DdOptions"/>.</summary>
public sealed record UnrolledSection : DdSettings
{
    /// <summary>"unknown" (xavier re-drawn every iteration, the random-init numbers) or "known" (one fixed init). A
    /// string here and <see cref="DdInit"/> in <see cref="DdOptions"/>: read as a string, a bad value is reported
    /// with every other bad field of the recipe instead of stopping the JSON reader at the first.</summary>
    public string Init { get; init; } = "unknown";

    public DdInit ParseInit(string field) => Init switch
    {
        "unknown" => DdInit.Unknown,
        "known" => DdInit.Known,
        _ => throw new ArgumentException($"field '{field}' is '{Init}', expected 'unknown' or 'known'"),
    };

    /// <summary>"full" or "exact" (bounded-memory recomputation, the same gradient); null = exact from 10 steps
    /// (distillSteps × distillEpochs), as trajectory matching's distill.unroll. Text for the same reason as Init.</summary>
    public string? Unroll { get; init; }

    public UnrollMode? ParseUnroll(string field) => Unroll switch
    {
        null => null,
        _ when UnrollModes.TryParse(Unroll, out var mode) && mode != UnrollMode.Tesla => mode,
        _ => throw new ArgumentException($"field '{field}' is '{Unroll}', expected 'full' or 'exact'"),
    };
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
        InputFile.Require(path, "recipe file");
        UnrolledRecipe r;
        try { r = JsonSerializer.Deserialize<UnrolledRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw RecipeException.FromJson(path, e); }
        var errors = r.Check();
        if (errors.Count > 0) throw new RecipeException(path, errors);
        return r;
    }

    public List<string> Check()
    {
        var e = new FieldErrors();
        e.Need(!string.IsNullOrWhiteSpace(Name), "name", "is empty");
        e.Need(Method is "dd" or "sld", "method", $"is '{Method}', expected 'dd' or 'sld'");
        var spec = RecipeChecks.Dataset(e, Dataset);
        RecipeChecks.Model(e, "unrolled.model", Unrolled.Model, spec);
        e.Try("unrolled.init", () => Unrolled.ParseInit("unrolled.init"));
        e.Try("unrolled.unroll", () => Unrolled.ParseUnroll("unrolled.unroll"));
        Unrolled.Check(e.In("unrolled"));
        return [.. e.All];
    }

    public DdOptions ToOptions(string outputDir, bool learnLabels) => new(Unrolled)
    {
        Init = Unrolled.ParseInit("unrolled.init"), LearnLabels = learnLabels, Seed = Seed, OutputDir = outputDir,
        Unroll = Unrolled.ParseUnroll("unrolled.unroll"),
    };
}
