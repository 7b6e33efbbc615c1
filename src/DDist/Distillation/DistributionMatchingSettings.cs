using System.Text.Json.Serialization;

namespace DDist.Distillation;

/// <summary>The DM settings a recipe states (DC repository `main_DM.py`'s arguments): the comparison recipe's <c>dm</c>
/// section derives from this type and <see cref="DistributionMatchingOptions"/> takes it over whole;
/// <see cref="Check"/> is the one place these fields are validated. Defaults are the reference's.</summary>
/// <remarks>The property order is the one the comparison's recipe.json always had (a run folder compares it as text).</remarks>
public record DistributionMatchingSettings
{
    [JsonPropertyOrder(2)] public int Iterations { get; init; } = 20000;
    [JsonPropertyOrder(3)] public double LrImg { get; init; } = 1.0;
    [JsonPropertyOrder(4)] public int BatchReal { get; init; } = 256;
    /// <summary>Siamese DSA on the real and synthetic batches (the reference's default).</summary>
    [JsonPropertyOrder(6)] public bool Dsa { get; init; } = true;

    public void Check(FieldErrors e)
    {
        e.Need(Iterations >= 0, "iterations", $"is {Iterations}, expected ≥ 0");
        e.Need(LrImg > 0, "lrImg", $"is {LrImg}, expected > 0");
        e.Need(BatchReal >= 1, "batchReal", $"is {BatchReal}, expected ≥ 1");
    }
}
