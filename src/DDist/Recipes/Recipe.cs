using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Selection;
using DDist.Torch.IO;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Recipes;

/// <summary>Every parameter of a SelMatch run (or an MTT run: no scores, no window), from expert trajectories to the
/// final comparison table.
/// Loaded from recipes/*.json; <see cref="Validate"/> checks it completely before any work starts.</summary>
public sealed record Recipe
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Where the numbers come from (e.g. "SelMatch scripts/distill/cifar10_250.sh"), or "cpu-sized".</summary>
    public string Source { get; init; } = "";
    public required string Dataset { get; init; }
    public required int Ipc { get; init; }
    public int Seed { get; init; }
    /// <summary>ZCA-whiten the [0,1] images instead of normalising them by mean and std (MTT's `--zca`, used by its
    /// README's CIFAR-100 IPC 1 command and several of its CIFAR settings; SelMatch's scripts do not whiten). Fitted once per run folder on the
    /// whole training set and kept there (zca.safetensors), so every process of a run, on any machine, works in the same
    /// space: experts, scoring runs, window search, distillation and evaluation; every small set carries the transform.
    /// Written only when set, so a recipe without it spells out as it always did and its folders stay its own.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Zca { get; init; }
    public required ExpertRecipe Experts { get; init; }
    /// <summary>Difficulty scores and the sliding-window search: what the Window-only and SelMatch rows are cut by. An
    /// MTT recipe (compare holds neither "window" nor "selmatch") has neither section and runs no scoring or window
    /// stage (<see cref="CutsWindows"/>).</summary>
    public ScoreRecipe? Scores { get; init; }
    public WindowRecipe? Window { get; init; }
    public required DistillRecipe Distill { get; init; }
    public required EvalRecipe Evaluation { get; init; }
    /// <summary>Rows of the final table, in order: random, window, mtt, selmatch.</summary>
    public string[] Compare { get; init; } = ["random", "window", "mtt", "selmatch"];

    /// <summary>Whether the run scores difficulty and searches windows: the Window-only row or SelMatch is compared.
    /// Without them (an MTT recipe: random and mtt) the run is experts → MTT → evaluation → report.</summary>
    [JsonIgnore] public bool CutsWindows => Compare.Contains("window") || Compare.Contains("selmatch");

    /// <summary>The scores section, for the stages that exist only when it does (<see cref="RecipeValidation"/> refuses a
    /// recipe that needs it without it; `ddist window` and `distill --method selmatch` check <see cref="RequireWindow"/>).</summary>
    [JsonIgnore] public ScoreRecipe ScoreSection => Scores ?? throw MissingWindowSections("the scoring stages", alpha: false);
    [JsonIgnore] public WindowRecipe WindowSection => Window ?? throw MissingWindowSections("the window search", alpha: false);
    /// <summary>SelMatch's distilled fraction α (distill.alpha), for the stages that cut SelMatch's window.</summary>
    [JsonIgnore] public double Alpha => Distill.DistilledFraction ?? throw MissingWindowSections("SelMatch");

    /// <summary>Refuses, naming the sections, a run of <paramref name="what"/> on a recipe without scores and window (and
    /// α, when <paramref name="alpha"/>: SelMatch needs it, the Window-only row does not).</summary>
    public void RequireWindow(string what, bool alpha = true)
    {
        if (Scores is null || Window is null || alpha && Distill.DistilledFraction is null) throw MissingWindowSections(what, alpha);
    }

    private RecipeException MissingWindowSections(string what, bool alpha = true)
    {
        var missing = new[] { Scores is null ? "'scores'" : null, Window is null ? "'window'" : null, alpha && Distill.DistilledFraction is null ? "'distill.alpha'" : null }
            .OfType<string>().ToList();
        string list = missing.Count == 1 ? missing[0] : $"{string.Join(", ", missing[..^1])} and {missing[^1]}";
        return new RecipeException($"recipe '{Name}'", [$"{what} needs {list}, which this recipe does not give " +
                                                        $"(it compares {string.Join(", ", Compare)}: an MTT recipe cuts no window)"]);
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A null where the recipe's type has no null (a section, a list) fails here, naming the field; so does a field
        // given twice (the reader would keep the last).
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>Reads and validates a recipe file. Unknown fields, missing required ones and bad values all fail here.</summary>
    /// <param name="scoreFileElsewhere">The recipe is a run folder's copy, read for its plan only: a relative score file
    /// was found next to the original, which the copy no longer sits beside, so its absence is no error.</param>
    public static Recipe Load(string path, bool scoreFileElsewhere = false)
    {
        InputFile.Require(path, "recipe file");
        Recipe recipe;
        try { recipe = JsonSerializer.Deserialize<Recipe>(File.ReadAllText(path), Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw RecipeException.FromJson(path, e); }
        recipe = recipe with { Directory = Path.GetDirectoryName(Path.GetFullPath(path)) };
        recipe.Validate(path, scoreFileElsewhere);
        return recipe;
    }

    /// <summary>The folder the recipe was loaded from (relative score files are looked up there first).</summary>
    [JsonIgnore] public string? Directory { get; init; }

    /// <summary>Environment variable naming a folder of published score files (e.g. SelMatch's scores/).</summary>
    public const string ScoresEnvironmentVariable = "DDIST_SCORES";

    /// <summary>The score file to import: an absolute path as is; a relative one in the recipe's folder, then in
    /// $DDIST_SCORES. Null when the scores are computed (no file given) or the file is nowhere to be found.</summary>
    public string? ResolveScoreFile()
    {
        if (Scores?.File is not string file) return null;
        if (Path.IsPathRooted(file)) return File.Exists(file) ? file : null;
        foreach (var dir in new[] { Directory, Environment.GetEnvironmentVariable(ScoresEnvironmentVariable) })
            if (!string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, file))) return Path.GetFullPath(Path.Combine(dir, file));
        return null;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The recipe as a JSON object with every field spelled out (defaults included): two recipes are the
    /// same experiment exactly when these are equal, whatever the files' formatting.</summary>
    public System.Text.Json.Nodes.JsonObject ToJsonNode() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();

    /// <summary>Throws a <see cref="RecipeException"/> listing every invalid field (by its JSON path).</summary>
    public void Validate(string? source = null, bool scoreFileElsewhere = false)
    {
        var errors = RecipeValidation.Check(this, scoreFileElsewhere);
        if (errors.Count > 0) throw new RecipeException(source ?? $"recipe '{Name}'", errors);
    }

    // ---- the stage options this recipe describes ----

    /// <summary>The score kinds the window is cut by: one, or several that the window search chooses among with β.</summary>
    [JsonIgnore] public IReadOnlyList<ScoreKind> ScoreKinds => ScoreSection.Kinds;

    /// <summary>Whether the recipe lists several score kinds: each gets its own score file and window grid, and the kind
    /// is chosen with β. [JsonIgnore]: derived, and the spelled-out recipe a folder compares must not change.</summary>
    [JsonIgnore] public bool SearchesScoreKinds => Scores?.Kind.Length > 1;

    /// <summary>The first listed kind, derived and never read back: the spelled-out recipe that a run folder compares has
    /// carried it since the recipe named one kind, so it stays, or every existing folder would belong to another recipe.
    /// The derived fields below are null (so not written) in a recipe without scores and window.</summary>
    [JsonInclude, JsonPropertyName("scoreKind")] private ScoreKind? FirstScoreKind => Scores is null ? null : ScoreKinds[0];
    [JsonInclude, JsonPropertyName("windowOffset")] private WindowOffset? WindowOffsetWritten => Window?.OffsetMode;
    [JsonInclude, JsonPropertyName("windowOverflow")] private WindowOverflow? WindowOverflowWritten => Window?.OverflowMode;
    [JsonIgnore] public WindowOffset WindowOffset => WindowSection.OffsetMode;
    [JsonIgnore] public WindowOverflow WindowOverflow => WindowSection.OverflowMode;
    public FrozenPart FrozenPart => Distill.FrozenPartMode;
    public SelectOn SelectOn => Distill.SelectOnMode;

    public ExpertOptions ToExpertOptions() => Experts.ToOptions(Seed, DsaStrategy);

    public ForgettingOptions ToForgettingOptions() => new(ScoreSection) { Seed = Seed };

    /// <summary>The model that computes forgetting scores (the experts' model unless given); null without scores.</summary>
    public string? ScoreModel => Scores is null ? null : Scores.Model ?? Experts.Model;

    /// <summary>The β grid the window search and successive halving share: the window section's grid, the recipe's
    /// IPC and seed, and what the scoring networks are evaluated on and with.</summary>
    public WindowGrid ToWindowGrid(string normalization) => new()
    {
        Betas = WindowSection.Betas, Ipc = Ipc, Offset = WindowOffset, Overflow = WindowOverflow, Seed = Seed, Normalization = normalization,
        EvaluatedOn = SelectOn == SelectOn.Test ? SelectionLabels.Test : SelectionLabels.Validation, EvaluatedWith = Describe(ToWindowProtocol()),
    };

    public WindowSearchOptions ToWindowSearchOptions(string outputDir, string normalization) =>
        new(ToWindowGrid(normalization), WindowSection.Budget, outputDir);

    /// <summary>The protocol of the networks that score a window: the evaluation's model, optimiser, schedule and
    /// batch, with the window search's own augmentation (DSA, as SelMatch's sliding-window scripts).</summary>
    public EvalProtocol ToWindowProtocol() => ToEvalProtocol() with
    {
        Augmentation = Augmentation.Parse(WindowSection.Augmentation), Epochs = WindowSection.Epochs, Networks = WindowSection.Nets,
    };

    private static string Describe(EvalProtocol p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Name}/{p.Model}/lr={p.LearningRate}/{p.Schedule}/batch={p.BatchSize}/aug={Augmentation.Name(p.Augmentation)}:{p.AugmentOptions.DsaStrategy}:flip={p.AugmentOptions.SimpleFlip}");

    public SuccessiveHalvingOptions? ToHalvingOptions(string outputPath, string normalization) => Window?.HalvingStartEpochs is int start
        ? new SuccessiveHalvingOptions(ToWindowGrid(normalization), new EvalBudget(start, 1), WindowSection.Budget) { OutputPath = outputPath }
        : null;

    /// <summary>The distill section's settings, whole, plus the run's seed, folder and method and the parsed forms of
    /// what the section keeps as text.</summary>
    public TrajectoryMatchingOptions ToTrajectoryMatchingOptions(string outputDir, string method = "selmatch") => new(Distill)
    {
        Seed = Seed, EvalIterations = Distill.EvalIterations, SelectOn = SelectOn, EvalBudget = new EvalBudget(Distill.SelectionEpochs, Distill.SelectionNets),
        OutputDir = outputDir, Method = method, Unroll = Distill.UnrollMode,
    };

    /// <summary>The DSA strategy of the distillation inner loop, DSA experts and evaluation (the dataset's rules:
    /// never a flip for digits).</summary>
    public string DsaStrategy => AugmentOptions.ForDataset(Dataset, dsaStrategy: Distill.DsaStrategy).DsaStrategy;

    public EvalProtocol ToEvalProtocol() => Evaluation.ToProtocol(Dataset, Distill.DsaStrategy);

    /// <summary>The evaluation's protocol with another architecture (one of evaluation.crossArchitectures), at
    /// evaluation.crossArchitectureLr when the recipe fixes one for it (then no set's learned step size replaces it).</summary>
    public EvalProtocol ToEvalProtocol(string model) => Evaluation.ForArchitecture(ToEvalProtocol(), model);

    /// <summary>cpc = ⌊IPC·α⌋ distilled and IPC − cpc selected images per class (α the distilled fraction); null
    /// without α (an MTT recipe distils every image).</summary>
    public (int Distilled, int Selected)? SplitPerClass => Distill.DistilledFraction is double alpha
        ? (WindowSelection.DistilledPerClass(Ipc, alpha), WindowSelection.FrozenPerClass(Ipc, alpha)) : null;

    public override string ToString() => CutsWindows
        ? string.Create(CultureInfo.InvariantCulture, $"{Name}: {Dataset} IPC {Ipc}, α {Distill.DistilledFraction}, β {Distill.Beta?.ToString() ?? "searched"}")
        : string.Create(CultureInfo.InvariantCulture, $"{Name}: {Dataset} IPC {Ipc}, {string.Join(" and ", Compare)}");
}

/// <summary>A recipe that cannot run; the message lists every bad field by its JSON path.</summary>
public sealed class RecipeException(string source, IReadOnlyList<string> errors)
    : Exception($"{source}: invalid recipe:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;

    /// <summary>What the JSON reader refused, said in the recipe's terms (its field path and what the field takes)
    /// rather than the reader's (.NET member and type names).</summary>
    public static RecipeException FromJson(string source, JsonException e)
    {
        string path = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "";
        string field = path == "" ? "the recipe" : $"field '{path}'";
        string at = e.LineNumber is long line ? $" (line {line + 1})" : "";
        string m = e.Message;
        string text =
            m.Contains("could not be mapped to any .NET member", StringComparison.Ordinal) ? $"{field} is not a field of this recipe{at}"
            : m.Contains("doesn't allow setting null values", StringComparison.Ordinal) ? $"{field} is null{at}, expected a value"
            : m.Contains("missing required properties", StringComparison.Ordinal)
                ? $"{(path == "" ? "the recipe" : $"section '{path}'")} lacks required field(s) {m[(m.IndexOf("including: ", StringComparison.Ordinal) + 11)..].TrimEnd('.')}"
            : m.Contains("could not be converted to", StringComparison.Ordinal) ? $"{field}{at} is not {Expected(m)}"
            : m.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? $"{field} appears twice{at}"
            : m.StartsWith(OneOrManyConverter.Expected, StringComparison.Ordinal) ? $"{field}{at} is not {OneOrManyConverter.Expected}"
            : m.StartsWith(CrossArchitectureLrConverter.Expected, StringComparison.Ordinal) ? $"{field}{at} is not {WithoutPosition(m)}"
            : $"not valid JSON{(e.BytePositionInLine is long column && at != "" ? at[..^1] + $", column {column + 1})" : at)}: {WithoutPosition(m)}";
        return new RecipeException(source, [text]);
    }

    /// <summary>The reader's message without its own position suffix ("Path: $ | LineNumber: 2 | …"), which counts lines
    /// from 0 where every message of ours counts them from 1.</summary>
    private static string WithoutPosition(string message)
    {
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal) is var p && p >= 0 ? p : message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        return cut >= 0 ? message[..cut] : message;
    }

    /// <summary>The kind of value a "could not be converted to T" message asked for.</summary>
    private static string Expected(string message) =>
        Regex.Match(message, @"converted to ([\w.\[\]`]+)").Groups[1].Value.TrimEnd('.') switch
        {
            "System.Int32" or "System.Int64" or "System.UInt64" => "an integer",
            "System.Double" or "System.Single" => "a number",
            "System.String" => "a string",
            "System.Boolean" => "true or false",
            var t when t.EndsWith("[]", StringComparison.Ordinal) || t.Contains("List", StringComparison.Ordinal) => "a list",
            var t when t.StartsWith("System.Nullable", StringComparison.Ordinal) => "a number or null",
            _ => "an object",
        };
}

/// <summary>How outputs name the data every choice of a run (β, successive halving, best iteration) was made on.</summary>
public static class SelectionLabels
{
    public const string Validation = "validation split";
    public const string Test = "test set (reference protocol)";
}
