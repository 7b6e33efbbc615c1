using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Recipes;

/// <summary>A comparison recipe (<c>"kind": "comparison"</c>): methods × IPC on one dataset, each set evaluated the
/// same way, written as one table with the published numbers beside ours. DC, DSA and DM settings default to the
/// reference's (DC repository `main.py`, `main_DM.py`); <see cref="Validate"/> checks everything before any work.</summary>
public sealed record ComparisonRecipe
{
    public const string KindName = "comparison";
    public static readonly string[] KnownMethods = ["random", "herding", "herding-argmax", "kcenter", "forgetting", "dc", "dsa", "dm", "mtt"];
    /// <summary>Methods a comparison does not run (SelMatch's window search, DATM/TESLA's soft labels): refused by name,
    /// pointing at their own recipes.</summary>
    public static readonly string[] OwnRecipeMethods = ["selmatch", "datm", "tesla"];

    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Source { get; init; } = "";
    public required string Dataset { get; init; }
    public required int[] Ipcs { get; init; }
    public required string[] Methods { get; init; }
    public int Seed { get; init; }
    /// <summary>Use only this many training images per class (a CPU-sized or test shortcut); null = all.</summary>
    public int? TrainPerClass { get; init; }
    /// <summary>Evaluate on only this many test images per class; null = the whole test set.</summary>
    public int? TestPerClass { get; init; }
    public GradientMatchingRecipe Dc { get; init; } = new();
    public GradientMatchingRecipe Dsa { get; init; } = new();
    public DistributionMatchingRecipe Dm { get; init; } = new();
    /// <summary>MTT's experts and matching settings; required when the methods list "mtt" (absent, it is not written,
    /// so recipes without it spell out as they always did).</summary>
    public MttSection? Mtt { get; init; }
    /// <summary>The feature network of herding, k-center and coverage: the stage's settings as they are.</summary>
    public EmbeddingSettings Coreset { get; init; } = new();
    public ForgettingSelectionRecipe Forgetting { get; init; } = new();
    public CoverageRecipe Coverage { get; init; } = new();
    public required ComparisonEvalRecipe Evaluation { get; init; }
    /// <summary>Rows made elsewhere: NAME → IPC → a DDist small set file (`ddist import-set` of another project's set, a
    /// SelMatch/DATM/TESLA run's set, …) at some of the IPCs of <see cref="Ipcs"/>; NAME is then listed in
    /// <see cref="Methods"/> like a method, and the set is evaluated by the comparison's protocol like the others.
    /// Relative paths are taken from the recipe file's folder. Absent, it is not written.</summary>
    public Dictionary<string, Dictionary<string, string>>? Sets { get; init; }
    /// <summary>DD-Ranking's scores of every cell (<see cref="RankingRecipe"/>); absent, nothing is ranked.</summary>
    public RankingRecipe? Ranking { get; init; }

    /// <summary>True for a row whose sets come from <see cref="Sets"/> rather than being made here.</summary>
    public bool IsImported(string method) => !KnownMethods.Contains(method) && Sets?.ContainsKey(method) == true;

    /// <summary>Whether the recipe's 'sets' give row <paramref name="method"/> a set at <paramref name="ipc"/> (a row may
    /// give only some of the IPCs: the table shows "–" at the others).</summary>
    public bool GivesSet(string method, int ipc) =>
        Sets is { } sets && sets.TryGetValue(method, out var byIpc) && byIpc.ContainsKey(ipc.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The file of an imported row at <paramref name="ipc"/> (its cells exist only where <see cref="GivesSet"/>).</summary>
    public string SetFile(string method, int ipc) => GivesSet(method, ipc)
        ? Sets![method][ipc.ToString(System.Globalization.CultureInfo.InvariantCulture)]
        : throw new RecipeException($"recipe '{Name}'", [$"field 'sets.{method}' has no set for IPC {ipc}"]);

    /// <summary>True when the JSON file declares <c>"kind": "comparison"</c> (other recipes are SelMatch runs).</summary>
    public static bool IsComparison(string path)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
            return node is JsonObject o && o["kind"] is JsonValue v && v.TryGetValue<string>(out var s) && s == KindName;
        }
        catch (JsonException) { return false; }
    }

    public static ComparisonRecipe Load(string path)
    {
        InputFile.Require(path, "recipe file");
        ComparisonRecipe recipe;
        try { recipe = JsonSerializer.Deserialize<ComparisonRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw RecipeException.FromJson(path, e); }
        recipe = recipe.WithPathsFrom(Path.GetDirectoryName(Path.GetFullPath(path))!);
        recipe.Validate(path);
        if (ComparisonRecipeValidation.CheckFile(recipe) is { Count: > 0 } errors) throw new RecipeException(path, errors);
        return recipe;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Recipe.Json);

    /// <summary>The cells of some of the recipe's IPCs (`--ipc`): the 'sets' of the other IPCs are left out with them, and
    /// a row of 'sets' that gives none of these IPCs leaves 'methods' (the folder keeps this recipe, which must load).</summary>
    public ComparisonRecipe ForIpcs(int[] ipcs)
    {
        var keys = ipcs.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var sets = Sets?.ToDictionary(row => row.Key, row => row.Value.Where(f => keys.Contains(f.Key)).ToDictionary()).Where(row => row.Value.Count > 0).ToDictionary();
        return this with
        {
            Ipcs = ipcs, Sets = sets is { Count: > 0 } ? sets : null,
            Methods = Methods.Where(m => !IsImported(m) || sets?.ContainsKey(m) == true).ToArray(),
        };
    }

    /// <summary>The recipe with its sets' and its ranking teacher's relative paths taken from <paramref name="folder"/>
    /// (absolute ones stay).</summary>
    private ComparisonRecipe WithPathsFrom(string folder) => this with
    {
        Sets = Sets?.ToDictionary(row => row.Key, row => row.Value.ToDictionary(f => f.Key, f => Path.GetFullPath(Path.Combine(folder, f.Value)))),
        Ranking = Ranking is { Teacher: { } t } ranking && t != RankingRecipe.MttExperts && t.Trim().Length > 0
            ? ranking with { Teacher = Path.GetFullPath(Path.Combine(folder, t)) } : Ranking,
    };

    public void Validate(string? source = null)
    {
        var errors = ComparisonRecipeValidation.Check(this);
        if (errors.Count > 0) throw new RecipeException(source ?? $"recipe '{Name}'", errors);
    }

    public string DsaStrategy(string? overrideStrategy) => overrideStrategy ?? DsaStrategies.ForDataset(Dataset);

    /// <summary>The dc or dsa section's settings, whole, plus what the method and IPC decide.</summary>
    public GradientMatchingOptions ToGradientMatchingOptions(string method, int ipc)
    {
        var s = method == "dsa" ? Dsa : Dc;
        return new GradientMatchingOptions(s, ipc)
        {
            Method = method, Start = SyntheticInit.Parse(s.Init ?? (method == "dsa" ? "real" : "noise"), $"{method}.init"),
            Distance = GradientMatchingDistance.Parse(s.Metric, $"{method}.metric"), Dsa = method == "dsa", DsaStrategy = DsaStrategy(s.Strategy), Seed = Seed,
        };
    }

    public DistributionMatchingOptions ToDistributionMatchingOptions(int ipc) => new(Dm, ipc)
    {
        Start = SyntheticInit.Parse(Dm.Init, "dm.init"), DsaStrategy = DsaStrategy(Dm.Strategy), Seed = Seed,
    };

    /// <summary>MTT's experts (the mtt section's), trained on the comparison's training set.</summary>
    public Training.Experts.ExpertOptions ToMttExpertOptions() => MttSettings.Experts.ToOptions(Seed, DsaStrategy(MttSettings.Strategy));

    /// <summary>The mtt section, for the stages that run only when "mtt" is listed (validation requires it then).</summary>
    [JsonIgnore] public MttSection MttSettings => Mtt ?? throw new RecipeException($"recipe '{Name}'", ["field 'mtt' is missing: methods holds 'mtt'"]);

    public EmbeddingOptions ToEmbeddingOptions() => new(Coreset) { Seed = Seed };

    public ForgettingOptions ToForgettingOptions() => new(Forgetting) { Seed = Seed };

    /// <summary>The evaluation of the sets at <paramref name="ipc"/> (the dataset's default DSA strategy).</summary>
    public EvalProtocol ToEvalProtocol(int ipc) => Evaluation.ToProtocol(Dataset, null, EvalEpochs(ipc));

    /// <summary>The evaluation at <paramref name="ipc"/> with another architecture (one of evaluation.crossArchitectures).</summary>
    public EvalProtocol ToEvalProtocol(int ipc, string model) => Evaluation.ForArchitecture(ToEvalProtocol(ipc), model);

    public int EvalEpochs(int ipc) => Evaluation.EpochsFor(ipc);
}

/// <summary>DC or DSA (gradient matching): <see cref="GradientMatchingSettings"/> (handed whole to the stage) plus the
/// network and the choices the JSON keeps as text (start, distance, DSA strategy), parsed when the options are made:
/// as text a bad value is reported with every other bad field, and a null start or strategy means the method's or the
/// dataset's default, which only the comparison knows.</summary>
public sealed record GradientMatchingRecipe : GradientMatchingSettings
{
    [JsonPropertyOrder(1)] public string Model { get; init; } = "ConvNet";
    /// <summary>"noise" or "real"; null = the method's default (DC noise, DSA real as its README runs it).</summary>
    [JsonPropertyOrder(7)] public string? Init { get; init; }
    /// <summary>"ours" (layer-wise), "mse" or "cos".</summary>
    [JsonPropertyOrder(8)] public string Metric { get; init; } = "ours";
    /// <summary>DSA strategy (DSA only); null = the dataset's default (no flip for digits).</summary>
    [JsonPropertyOrder(11)] public string? Strategy { get; init; }

    public void Check(FieldErrors e, DatasetSpec? spec, IEnumerable<int> ipcs)
    {
        RecipeChecks.Model(e, "model", Model, spec);
        Check(e, ipcs);
        if (Init is string init) e.Try("init", () => SyntheticInit.Parse(init, e.Path("init")));
        e.Try("metric", () => GradientMatchingDistance.Parse(Metric, e.Path("metric")));
        if (Strategy is string st) e.Try("strategy", () => DsaStrategies.Parse(st));
    }
}

/// <summary>DM (distribution matching): <see cref="DistributionMatchingSettings"/> (handed whole to the stage) plus the
/// network, the start and the DSA strategy as text.</summary>
public sealed record DistributionMatchingRecipe : DistributionMatchingSettings
{
    [JsonPropertyOrder(1)] public string Model { get; init; } = "ConvNet";
    [JsonPropertyOrder(5)] public string Init { get; init; } = "real";
    [JsonPropertyOrder(7)] public string? Strategy { get; init; }

    public void Check(FieldErrors e, DatasetSpec? spec)
    {
        RecipeChecks.Model(e, "model", Model, spec);
        Check(e);
        e.Try("init", () => SyntheticInit.Parse(Init, e.Path("init")));
        if (Strategy is string st) e.Try("strategy", () => DsaStrategies.Parse(st));
    }
}

/// <summary>Forgetting scores for the forgetting baseline (Toneva et al. 2019), computed once per comparison:
/// <see cref="ForgettingSettings"/> with one run of 10 epochs by default, and the network.</summary>
public sealed record ForgettingSelectionRecipe : ForgettingSettings
{
    public ForgettingSelectionRecipe() { Runs = 1; Epochs = 10; }

    /// <summary>Null = the coreset section's model.</summary>
    [JsonPropertyOrder(0)] public string? Model { get; init; }
}

/// <summary>SelMatch's coverage metric for every set; 0 reference images per class turns it off.</summary>
public sealed record CoverageRecipe
{
    /// <summary>Training images per class whose mean nearest-neighbour distance is the radius r.</summary>
    public int ReferencePerClass { get; init; } = 500;
}

/// <summary>The one evaluation every set of a comparison gets: DC's protocol and ConvNet unless stated, with epochs
/// per IPC where given.</summary>
public sealed record ComparisonEvalRecipe : EvalSettings
{
    public ComparisonEvalRecipe() { Protocol = "dc"; }

    [JsonPropertyOrder(2)] public override string Model { get; init; } = "ConvNet";
    /// <summary>Epochs for particular IPCs, e.g. {"1": 1000}.</summary>
    [JsonPropertyOrder(4)] public Dictionary<string, int>? EpochsByIpc { get; init; }

    public int EpochsFor(int ipc) =>
        EpochsByIpc is { } map && map.TryGetValue(ipc.ToString(System.Globalization.CultureInfo.InvariantCulture), out var e) ? e : Epochs;

    public void Check(FieldErrors e, DatasetSpec? spec, int[] ipcs)
    {
        Check(e, spec);
        foreach (var (key, epochs) in EpochsByIpc ?? new())
        {
            e.Need(int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ipc) && ipcs.Contains(ipc),
                   "epochsByIpc", $"has key '{key}', expected one of the recipe's ipcs ({string.Join(", ", ipcs)})");
            e.Need(epochs >= 1, "epochsByIpc", $"gives {epochs} epochs for IPC {key}, expected ≥ 1");
        }
    }
}
