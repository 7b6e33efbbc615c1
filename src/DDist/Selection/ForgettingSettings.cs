using System.Text.Json.Serialization;

namespace DDist.Selection;

/// <summary>How forgetting scores are computed (Toneva et al. 2019): R trainings of a network with SGD, counting how
/// often each training example goes from right to wrong. A recipe's forgetting section (<c>scores</c> of a SelMatch
/// recipe, <c>forgetting</c> of a comparison) derives from this type and <see cref="ForgettingOptions"/> takes it
/// over whole; <see cref="Check"/> is the one place these fields are validated.</summary>
/// <remarks>The property order is the one the spelled-out recipes always had (run folders compare them).</remarks>
public record ForgettingSettings
{
    [JsonPropertyOrder(3)] public int Runs { get; init; } = 5;
    [JsonPropertyOrder(4)] public int Epochs { get; init; } = 20;
    [JsonPropertyOrder(6)] public int BatchSize { get; init; } = 128;
    [JsonPropertyOrder(7)] public double Lr { get; init; } = 0.01;
    [JsonPropertyOrder(8)] public double Momentum { get; init; } = 0.9;
    [JsonPropertyOrder(9)] public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Nesterov momentum: off in Toneva et al.'s code, on in DeepCore's forgetting baseline (EarlyTrain's SGD).
    /// Left out of the JSON when off, so recipes and run folders from before it was offered still match.</summary>
    [JsonPropertyOrder(10), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool Nesterov { get; init; }
    /// <summary>"most-forgotten" (Toneva et al.; also when absent, and then left out of the JSON so earlier recipes and
    /// run folders still match) or "zero" (DeepCore): see <see cref="NeverLearnedRule"/>.</summary>
    [JsonPropertyOrder(11), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? NeverLearned { get; init; }

    [JsonIgnore] public NeverLearnedRule NeverLearnedRule => NeverLearnedRules.Parse(NeverLearned, "neverLearned");

    public void Check(FieldErrors e)
    {
        e.Need(Runs >= 1, "runs", $"is {Runs}, expected ≥ 1");
        e.Need(Epochs >= 2, "epochs", $"is {Epochs}, expected ≥ 2 (forgetting needs consecutive presentations)");
        e.Need(Lr > 0, "lr", $"is {Lr}, expected > 0");
        e.Need(Momentum >= 0, "momentum", $"is {Momentum}, expected ≥ 0");
        e.Need(WeightDecay >= 0, "weightDecay", $"is {WeightDecay}, expected ≥ 0");
        e.Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
        e.Need(!Nesterov || Momentum > 0, "nesterov", $"is true while momentum is {Momentum} (Nesterov needs momentum > 0)");
        e.Try("neverLearned", () => NeverLearnedRules.Parse(NeverLearned, e.Path("neverLearned")));
    }
}
