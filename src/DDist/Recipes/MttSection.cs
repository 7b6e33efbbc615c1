using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.Unrolling;

namespace DDist.Recipes;

/// <summary>The "mtt" section of a comparison recipe: MTT (Cazenavette et al. 2022) in the family's table. Its expert
/// trajectories (buffer.py) are trained once on the comparison's training set and shared by every IPC; each IPC then
/// distils from the random real images of the Random row (MTT's 'real' initialisation) with these
/// <see cref="TrajectoryMatchingSettings"/>, and, as DC, DSA and DM in the same table, keeps its final set: no
/// iteration is chosen on any data, and the set is evaluated by the comparison's one protocol.</summary>
public sealed record MttSection : TrajectoryMatchingSettings
{
    [JsonPropertyOrder(1)] public required ExpertRecipe Experts { get; init; }
    /// <summary>Non-Siamese DSA in the inner loop (MTT's --dsa True).</summary>
    [JsonPropertyOrder(30)] public bool Dsa { get; init; } = true;
    /// <summary>DSA strategy; null = the dataset's default (no flip for digits).</summary>
    [JsonPropertyOrder(31)] public string? Strategy { get; init; }
    /// <summary>"full", "exact" or "tesla"; null = exact from 10 synSteps on, as MTT recipes.</summary>
    [JsonPropertyOrder(32)] public string? Unroll { get; init; }

    public void Check(FieldErrors e, DatasetSpec? spec)
    {
        Experts.Check(e.In("experts"), spec);
        Check(e, Experts.Epochs, e.Path("experts.epochs"));
        if (Strategy is string st) e.Try("strategy", () => DsaStrategies.Parse(st));
        if (Unroll is string u) e.Try("unroll", () => UnrollModes.Parse(u, e.Path("unroll")));
    }

    /// <summary>The distillation of one IPC into <paramref name="outputDir"/>: the final set is kept (no evaluation
    /// iterations).</summary>
    public TrajectoryMatchingOptions ToOptions(int seed, string outputDir) => new(this)
    {
        Seed = seed, OutputDir = outputDir, Method = "mtt",
        Unroll = UnrollModes.FromRecipe(Unroll, SynSteps, "mtt.unroll"),
    };
}
