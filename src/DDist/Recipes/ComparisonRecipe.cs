using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Augment;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;

namespace DDist.Recipes;

/// <summary>A comparison recipe (<c>"kind": "comparison"</c>): methods × IPC on one dataset, each set evaluated the
/// same way, written as one table with the published numbers beside ours. DC, DSA and DM settings default to the
/// reference's (DC repository `main.py`, `main_DM.py`); <see cref="Validate"/> checks everything before any work.</summary>
public sealed record ComparisonRecipe
{
    public const string KindName = "comparison";
    public static readonly string[] KnownMethods = ["random", "herding", "herding-argmax", "kcenter", "forgetting", "dc", "dsa", "dm"];
    /// <summary>Methods that need expert trajectories; a comparison recipe has none, so they are refused by name.</summary>
    public static readonly string[] ExpertMethods = ["mtt", "selmatch", "datm", "tesla"];

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
    public CoresetRecipe Coreset { get; init; } = new();
    public ForgettingSelectionRecipe Forgetting { get; init; } = new();
    public CoverageRecipe Coverage { get; init; } = new();
    public required ComparisonEvalRecipe Evaluation { get; init; }

    /// <summary>True when the JSON file declares <c>"kind": "comparison"</c> (other recipes are SelMatch runs).</summary>
    public static bool IsComparison(string path)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return node is JsonObject o && o["kind"] is JsonValue v && v.TryGetValue<string>(out var s) && s == KindName;
        }
        catch (JsonException) { return false; }
    }

    public static ComparisonRecipe Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such recipe", path);
        ComparisonRecipe recipe;
        try { recipe = JsonSerializer.Deserialize<ComparisonRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw new RecipeException(path, [e.Message]); }
        recipe.Validate(path);
        return recipe;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Recipe.Json);

    public void Validate(string? source = null)
    {
        var errors = ComparisonRecipeValidation.Check(this);
        if (errors.Count > 0) throw new RecipeException(source ?? $"recipe '{Name}'", errors);
    }

    public string DsaStrategy(string? overrideStrategy) => overrideStrategy ?? DsaStrategies.ForDataset(Dataset);

    public GradientMatchingOptions ToGradientMatchingOptions(string method, int ipc)
    {
        var s = method == "dsa" ? Dsa : Dc;
        return new GradientMatchingOptions
        {
            Method = method, Ipc = ipc, Iterations = s.Iterations, LrImg = s.LrImg, LrNet = s.LrNet, BatchReal = s.BatchReal,
            BatchTrain = s.BatchTrain, Start = SyntheticInit.Parse(s.Init ?? (method == "dsa" ? "real" : "noise"), $"{method}.init"),
            Distance = GradientMatchingDistance.Parse(s.Metric, $"{method}.metric"), OuterLoop = s.OuterLoop, InnerLoop = s.InnerLoop,
            Dsa = method == "dsa", DsaStrategy = DsaStrategy(s.Strategy), Seed = Seed,
        };
    }

    public DistributionMatchingOptions ToDistributionMatchingOptions(int ipc) => new()
    {
        Ipc = ipc, Iterations = Dm.Iterations, LrImg = Dm.LrImg, BatchReal = Dm.BatchReal,
        Start = SyntheticInit.Parse(Dm.Init, "dm.init"), Dsa = Dm.Dsa, DsaStrategy = DsaStrategy(Dm.Strategy), Seed = Seed,
    };

    public EmbeddingOptions ToEmbeddingOptions() => new()
    {
        Model = Coreset.Model, Epochs = Coreset.Epochs, Lr = Coreset.Lr, Momentum = Coreset.Momentum,
        WeightDecay = Coreset.WeightDecay, Nesterov = Coreset.Nesterov, BatchSize = Coreset.BatchSize, Seed = Seed,
    };

    public ForgettingOptions ToForgettingOptions() => new()
    {
        Runs = Forgetting.Runs, Epochs = Forgetting.Epochs, BatchSize = Forgetting.BatchSize, Lr = Forgetting.Lr,
        Momentum = Forgetting.Momentum, WeightDecay = Forgetting.WeightDecay, Nesterov = Forgetting.Nesterov, Seed = Seed,
    };

    public EvalProtocol ToEvalProtocol(int ipc)
    {
        var p = EvalProtocol.Preset(Evaluation.Protocol) with { Model = Evaluation.Model, Epochs = EvalEpochs(ipc), Networks = Evaluation.Nets };
        if (Evaluation.Lr is double lr) p = p with { LearningRate = lr };
        if (Evaluation.Augmentation is string a) p = p with { Augmentation = Training.Augmentation.Parse(a) };
        return p with { AugmentOptions = p.AugmentOptions with { DsaStrategy = DsaStrategies.ForDataset(Dataset), SimpleFlip = !DsaStrategies.IsDigitDataset(Dataset) } };
    }

    public int EvalEpochs(int ipc) =>
        Evaluation.EpochsByIpc is { } map && map.TryGetValue(ipc.ToString(System.Globalization.CultureInfo.InvariantCulture), out var e) ? e : Evaluation.Epochs;
}

/// <summary>DC or DSA (gradient matching); null loops take the reference's table for the IPC.</summary>
public sealed record GradientMatchingRecipe
{
    public string Model { get; init; } = "ConvNet";
    public int Iterations { get; init; } = 1000;
    public double LrImg { get; init; } = 0.1;
    public double LrNet { get; init; } = 0.01;
    public int BatchReal { get; init; } = 256;
    public int BatchTrain { get; init; } = 256;
    /// <summary>"noise" or "real"; null = the method's default (DC noise, DSA real as its README runs it).</summary>
    public string? Init { get; init; }
    /// <summary>"ours" (layer-wise), "mse" or "cos".</summary>
    public string Metric { get; init; } = "ours";
    public int? OuterLoop { get; init; }
    public int? InnerLoop { get; init; }
    /// <summary>DSA strategy (DSA only); null = the dataset's default (no flip for digits).</summary>
    public string? Strategy { get; init; }
}

/// <summary>DM (distribution matching).</summary>
public sealed record DistributionMatchingRecipe
{
    public string Model { get; init; } = "ConvNet";
    public int Iterations { get; init; } = 20000;
    public double LrImg { get; init; } = 1.0;
    public int BatchReal { get; init; } = 256;
    public string Init { get; init; } = "real";
    public bool Dsa { get; init; } = true;
    public string? Strategy { get; init; }
}

/// <summary>The network whose features herding, k-center and the coverage metric use.</summary>
public sealed record CoresetRecipe
{
    public string Model { get; init; } = "ConvNet";
    public int Epochs { get; init; } = 5;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Nesterov momentum; on by default, as DeepCore's EarlyTrain trains the feature network.</summary>
    public bool Nesterov { get; init; } = true;
    public int BatchSize { get; init; } = 256;
}

/// <summary>Forgetting scores for the forgetting baseline (Toneva et al. 2019), computed once per comparison.</summary>
public sealed record ForgettingSelectionRecipe
{
    public string? Model { get; init; }
    public int Runs { get; init; } = 1;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Nesterov momentum: off as in Toneva et al.'s code; DeepCore's forgetting baseline turns it on.</summary>
    public bool Nesterov { get; init; }
}

/// <summary>SelMatch's coverage metric for every set; 0 reference images per class turns it off.</summary>
public sealed record CoverageRecipe
{
    /// <summary>Training images per class whose mean nearest-neighbour distance is the radius r.</summary>
    public int ReferencePerClass { get; init; } = 500;
}

/// <summary>The one evaluation every set gets.</summary>
public sealed record ComparisonEvalRecipe
{
    public string Protocol { get; init; } = "dc";
    public string Model { get; init; } = "ConvNet";
    public required int Epochs { get; init; }
    /// <summary>Epochs for particular IPCs, e.g. {"1": 1000}.</summary>
    public Dictionary<string, int>? EpochsByIpc { get; init; }
    public int Nets { get; init; } = 5;
    public double? Lr { get; init; }
    public string? Augmentation { get; init; }
}
