using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Evaluation;

namespace DDist.Recipes;

/// <summary>The `evaluation` section every kind of recipe has (evaluate_synset, SelMatch/MTT/DC `utils.py`): a protocol
/// preset by name and the values that override it. <see cref="ToProtocol"/> is the one way from the section to the
/// <see cref="EvalProtocol"/> the evaluation runs, <see cref="Check"/> the one check of these fields. The recipes differ
/// only in the defaults and in whether the model must be stated (<see cref="EvalRecipe"/>, <see cref="ComparisonEvalRecipe"/>);
/// each may list other architectures to evaluate every set with as well.</summary>
/// <remarks>The property order is the one the spelled-out recipes always had (run folders compare them).</remarks>
public abstract record EvalSettings
{
    /// <summary>"sel", "mtt" or "dc" (the protocol's optimiser, schedule, batch and augmentation).</summary>
    [JsonPropertyOrder(1)] public string Protocol { get; init; } = "sel";
    [JsonPropertyOrder(2)] public abstract string Model { get; init; }
    [JsonPropertyOrder(3)] public required int Epochs { get; init; }
    [JsonPropertyOrder(5)] public int Nets { get; init; } = 5;
    /// <summary>Overrides of the protocol's values (null keeps them).</summary>
    [JsonPropertyOrder(6)] public double? Lr { get; init; }
    [JsonPropertyOrder(7)] public int? BatchSize { get; init; }
    [JsonPropertyOrder(8)] public string? Augmentation { get; init; }

    /// <summary>The protocol preset with this section's overrides and the dataset's augmentation rules (no mirrored
    /// digits). A stated lr is the lr: it also turns off training with a set's learned step size, which the mtt
    /// protocol otherwise uses (MTT / DATM `evaluate_synset`: lr_net = syn_lr).</summary>
    /// <param name="dsaStrategy">The DSA strategy of the run's distillation (null = the dataset's default).</param>
    /// <param name="epochs">The epochs for this evaluation when they depend on more than the section (a comparison's
    /// epochsByIpc); null = <see cref="Epochs"/>.</param>
    public EvalProtocol ToProtocol(string dataset, string? dsaStrategy, int? epochs = null)
    {
        var p = EvalProtocol.Preset(Protocol) with { Model = Model, Epochs = epochs ?? Epochs, Networks = Nets };
        if (Lr is double lr) p = p with { LearningRate = lr, UseLearnedLr = false };
        if (BatchSize is int b) p = p with { BatchSize = b };
        if (Augmentation is string a) p = p with { Augmentation = Training.Augmentation.Parse(a) };
        return p with { AugmentOptions = AugmentOptions.ForDataset(dataset, p.AugmentOptions.Dsa, dsaStrategy) };
    }

    /// <summary>Other architectures every compared set is also evaluated with, the protocol otherwise the same: the
    /// cross-architecture tables of the field (DC, Zhao et al. 2021; DM, Zhao &amp; Bilen 2023; MTT, Cazenavette et al.
    /// 2022; SelMatch, Lee et al. 2024). Null (the field left out): none, and a recipe written before the field existed
    /// keeps its meaning.</summary>
    [JsonPropertyOrder(9)] public string[]? CrossArchitectures { get; init; }

    /// <summary>The step size the architectures of <see cref="CrossArchitectures"/> train with: one number for all, or
    /// one per architecture (<see cref="Recipes.CrossArchitectureLr"/>). Null (left out): the evaluation's own, which for
    /// the mtt protocol is each distilled set's learned step size, as MTT's own cross-architecture evaluation uses it.
    /// That step size was learned through the distilling network and can make another diverge (AlexNet on the
    /// Fashion-MNIST demo's sets at 0.043).</summary>
    [JsonPropertyOrder(10)] public CrossArchitectureLr? CrossArchitectureLr { get; init; }

    /// <summary>What <paramref name="model"/>'s evaluation is kept and tabled under: the model, with the step size when
    /// <see cref="CrossArchitectureLr"/> fixes one for it ("AlexNet@lr0.01"), so results at another step size are never
    /// read as these (eval-arch/KEY/ROW, the rows in pipeline.json, the report's column).</summary>
    public string CrossArchitectureKey(string model) => CrossArchitectureKey(model, CrossArchitectureLr?.For(model));

    public static string CrossArchitectureKey(string model, double? lr) =>
        lr is double v ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{model}@lr{v:R}") : model;

    /// <summary>The column the report and the printed table give <paramref name="model"/>: "AlexNet (lr 0.01)" when the
    /// step size is fixed.</summary>
    public static string CrossArchitectureLabel(string model, double? lr) =>
        lr is double v ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{model} (lr {v:R})") : model;

    /// <summary>Said under a table whose columns (<see cref="CrossArchitectureLabel"/>) name a fixed step size; null when none does.</summary>
    public static string? FixedLrNote(IEnumerable<string> labels) => labels.Any(l => l.EndsWith(')') && l.Contains(" (lr ", StringComparison.Ordinal))
        ? "A column named with a step size trained at that step size (evaluation.crossArchitectureLr), not the evaluation's." : null;

    /// <summary><paramref name="own"/> (this section's protocol) with <paramref name="model"/> instead of its network, at
    /// the step size <see cref="CrossArchitectureLr"/> fixes for it, if any (then no set's learned step size replaces it).</summary>
    public EvalProtocol ForArchitecture(EvalProtocol own, string model) => CrossArchitectureLr?.For(model) is double lr
        ? own with { Model = model, LearningRate = lr, UseLearnedLr = false }
        : own with { Model = model };

    /// <summary>The architectures listed: each one a model the dataset can take, listed once, none the evaluation's own.</summary>
    private void CheckCrossArchitectures(FieldErrors e, DatasetSpec? spec)
    {
        if (CrossArchitectures is not { } models) return;
        e.Need(models.Length > 0, "crossArchitectures", "is an empty list; leave the field out for none");
        for (int i = 0; i < models.Length; i++)
        {
            RecipeChecks.Model(e, $"crossArchitectures[{i}]", models[i], spec);
            e.Need(models[i] != Model, $"crossArchitectures[{i}]", $"is '{models[i]}', the evaluation's own model (field 'model')");
        }
        foreach (var twice in models.GroupBy(m => m).Where(g => g.Count() > 1))
            e.Add("crossArchitectures", $"lists '{twice.Key}' {twice.Count()} times");
    }

    /// <summary>A fixed step size for the other architectures: positive numbers, only beside a list of them, and an
    /// object naming only listed ones.</summary>
    private void CheckCrossArchitectureLr(FieldErrors e)
    {
        if (CrossArchitectureLr is not { } lr) return;
        lr.Check(e, "crossArchitectureLr", CrossArchitectures);
        e.Need(CrossArchitectures is not null, "crossArchitectureLr", "is set but field 'crossArchitectures' lists no architecture to train with it");
    }

    public void Check(FieldErrors e, DatasetSpec? spec)
    {
        e.Try("protocol", () => EvalProtocol.Preset(Protocol));
        RecipeChecks.Model(e, "model", Model, spec);
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Nets >= 1, "nets", $"is {Nets}, expected ≥ 1");
        e.Need(Lr is null or > 0, "lr", $"is {Lr}, expected > 0 or null (the protocol's)");
        e.Need(BatchSize is null or >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1 or null (the protocol's)");
        if (Augmentation is string a) e.Try("augmentation", () => Training.Augmentation.Parse(a));
        CheckCrossArchitectures(e, spec);
        CheckCrossArchitectureLr(e);
    }
}
