using System.Text.Json.Serialization;

namespace DDist.Distillation;

/// <summary>The DC / DSA settings a recipe states (DC repository `main.py`'s arguments): the comparison recipe's
/// <c>dc</c> and <c>dsa</c> sections derive from this type and <see cref="GradientMatchingOptions"/> takes it over
/// whole; <see cref="Check"/> is the one place these fields are validated. Defaults are the reference's.</summary>
/// <remarks>The property order is the one the comparison's recipe.json always had (a run folder compares it as text).</remarks>
public record GradientMatchingSettings
{
    [JsonPropertyOrder(2)] public int Iterations { get; init; } = 1000;
    [JsonPropertyOrder(3)] public double LrImg { get; init; } = 0.1;
    [JsonPropertyOrder(4)] public double LrNet { get; init; } = 0.01;
    [JsonPropertyOrder(5)] public int BatchReal { get; init; } = 256;
    [JsonPropertyOrder(6)] public int BatchTrain { get; init; } = 256;
    /// <summary>Null = the reference's table for the IPC (<see cref="GradientMatchingOptions.Loops"/>).</summary>
    [JsonPropertyOrder(9)] public int? OuterLoop { get; init; }
    [JsonPropertyOrder(10)] public int? InnerLoop { get; init; }

    /// <summary>Every problem, for a run at each of <paramref name="ipcs"/> (the loops must be given for an IPC the
    /// reference's table lacks).</summary>
    public void Check(FieldErrors e, IEnumerable<int> ipcs)
    {
        e.Need(Iterations >= 0, "iterations", $"is {Iterations}, expected ≥ 0");
        e.Need(LrImg > 0, "lrImg", $"is {LrImg}, expected > 0");
        e.Need(LrNet > 0, "lrNet", $"is {LrNet}, expected > 0");
        e.Need(BatchReal >= 1, "batchReal", $"is {BatchReal}, expected ≥ 1");
        e.Need(BatchTrain >= 1, "batchTrain", $"is {BatchTrain}, expected ≥ 1");
        e.Need(OuterLoop is null or >= 1, "outerLoop", $"is {OuterLoop}, expected ≥ 1 or null (the reference's table)");
        e.Need(InnerLoop is null or >= 0, "innerLoop", $"is {InnerLoop}, expected ≥ 0 or null (the reference's table)");
        if (OuterLoop is null || InnerLoop is null)
            foreach (var ipc in ipcs.Where(i => GradientMatchingOptions.Loops(i) is null))
                e.AddRaw($"field '{e.Path("outerLoop")}' is not set, and the reference defines no outer/inner loops for IPC {ipc} " +
                         $"(only 1, 10, 20, 30, 40, 50); set '{e.Path("outerLoop")}' and '{e.Path("innerLoop")}'");
    }
}
