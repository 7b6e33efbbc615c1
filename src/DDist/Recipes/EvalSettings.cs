using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Evaluation;

namespace DDist.Recipes;

/// <summary>The `evaluation` section every kind of recipe has (evaluate_synset, SelMatch/MTT/DC `utils.py`): a protocol
/// preset by name and the values that override it. <see cref="ToProtocol"/> is the one way from the section to the
/// <see cref="EvalProtocol"/> the evaluation runs, <see cref="Check"/> the one check of these fields. The recipes differ
/// only in the defaults and in whether the model must be stated (<see cref="EvalRecipe"/>, <see cref="ComparisonEvalRecipe"/>).</summary>
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

    public void Check(FieldErrors e, DatasetSpec? spec)
    {
        e.Try("protocol", () => EvalProtocol.Preset(Protocol));
        RecipeChecks.Model(e, "model", Model, spec);
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Nets >= 1, "nets", $"is {Nets}, expected ≥ 1");
        e.Need(Lr is null or > 0, "lr", $"is {Lr}, expected > 0 or null (the protocol's)");
        e.Need(BatchSize is null or >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1 or null (the protocol's)");
        if (Augmentation is string a) e.Try("augmentation", () => Training.Augmentation.Parse(a));
    }
}
