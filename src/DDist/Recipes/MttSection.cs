using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.Unrolling;

namespace DDist.Recipes;

/// <summary>The "mtt" section of a comparison recipe: MTT (Cazenavette et al. 2022) in the family's table. Its expert
/// trajectories (buffer.py) are trained once on the comparison's training set and shared by every IPC; each IPC then
/// distils from the random real images of the Random row (MTT's 'real' initialisation) with these
/// <see cref="TrajectoryMatchingSettings"/>, changed at some IPCs by <see cref="ByIpc"/> (MTT's published settings
/// differ by IPC), and, as DC, DSA and DM in the same table, keeps its final set: no iteration is chosen on any data,
/// and the set is evaluated by the comparison's one protocol.</summary>
public sealed record MttSection : TrajectoryMatchingSettings
{
    [JsonPropertyOrder(1)] public required ExpertRecipe Experts { get; init; }
    /// <summary>Non-Siamese DSA in the inner loop (MTT's --dsa True).</summary>
    [JsonPropertyOrder(30)] public bool Dsa { get; init; } = true;
    /// <summary>DSA strategy; null = the dataset's default (no flip for digits).</summary>
    [JsonPropertyOrder(31)] public string? Strategy { get; init; }
    /// <summary>"full", "exact" or "tesla"; null = exact from 10 synSteps on, as MTT recipes.</summary>
    [JsonPropertyOrder(32)] public string? Unroll { get; init; }
    /// <summary>IPC → fields of this section that differ at that IPC (e.g. {"1": {"synSteps": 50, "maxStartEpoch": 2}}),
    /// as MTT's README gives each IPC its own N, T⁺ and learning rates; the experts stay shared. Absent, not written.</summary>
    [JsonPropertyOrder(33)] public Dictionary<string, JsonObject>? ByIpc { get; init; }

    /// <summary>Fields a per-IPC entry may not change: the experts are trained once for every IPC.</summary>
    private static readonly string[] SharedFields = ["experts", "byIpc"];

    public void Check(FieldErrors e, DatasetSpec? spec, IReadOnlyCollection<int> ipcs)
    {
        int start = e.Count;   // the list is the whole recipe's: other sections' errors are already in it
        Experts.Check(e.In("experts"), spec);
        CheckMatching(e, e.Path("experts.epochs"));
        if (ByIpc is null || e.Count > start) return;   // an IPC's changes are checked on a sound section (its errors are then theirs)
        foreach (var (key, changes) in ByIpc)
        {
            var at = e.In($"byIpc.{key}");
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var ipc) || !ipcs.Contains(ipc))
            {
                e.AddRaw($"field '{e.Path("byIpc")}' has the key '{key}', expected one of the comparison's IPCs ({string.Join(", ", ipcs)})");
                continue;
            }
            int before = e.Count;
            foreach (var shared in SharedFields.Where(changes.ContainsKey))
                at.Need(false, shared, "cannot change by IPC: the experts are trained once and shared by every IPC");
            if (e.Count > before) continue;
            try { WithChanges(changes).CheckMatching(at, e.Path("experts.epochs")); }
            catch (JsonException ex) { at.AddRaw(ChangeError(at, ex)); }
        }
    }

    private void CheckMatching(FieldErrors e, string expertEpochsField)
    {
        Check(e, Experts.Epochs, expertEpochsField);
        if (Strategy is string st) e.Try("strategy", () => DsaStrategies.Parse(st));
        if (Unroll is string u) e.Try("unroll", () => UnrollModes.Parse(u, e.Path("unroll")));
    }

    /// <summary>The settings at <paramref name="ipc"/>: this section with that IPC's changes, if any.</summary>
    public MttSection For(int ipc) =>
        ByIpc is not null && ByIpc.TryGetValue(ipc.ToString(CultureInfo.InvariantCulture), out var changes) ? WithChanges(changes) : this with { ByIpc = null };

    /// <summary>This section with <paramref name="changes"/>' fields in place of its own (read as the recipe reads them).</summary>
    private MttSection WithChanges(JsonObject changes)
    {
        var merged = JsonSerializer.SerializeToNode(this with { ByIpc = null }, Recipe.Json)!.AsObject();
        foreach (var (name, value) in changes) merged[name] = value?.DeepClone();
        return merged.Deserialize<MttSection>(Recipe.Json)!;
    }

    /// <summary>A per-IPC field the section cannot read, said as the recipe's reader says it, under the field's path
    /// in the recipe.</summary>
    private static string ChangeError(FieldErrors at, JsonException ex)
    {
        string field = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "";
        return RecipeException.FromJson("", new JsonException(ex.Message, "$." + at.Path(field), null, null)).Errors[0];
    }

    /// <summary>The matching settings in a line, e.g. "N 12, M 2, T⁺ 4, 200 iterations, lr_img 1000" (and FTD's
    /// average when kept), for the comparison's table.</summary>
    public string Describe() => FormattableString.Invariant(
        $"N {SynSteps}, M {ExpertEpochs}, T⁺ {MaxStartEpoch}, {Iterations} iterations, lr_img {LrImg:G}, lr_lr {LrLr:G}, initial step size {LrInit:G}")
        + (EmaDecay is double d ? FormattableString.Invariant($", images' moving average (FTD) decay {d:G} kept") : "");

    /// <summary>The distillation of one IPC into <paramref name="outputDir"/> (this section as <see cref="For"/> gives
    /// it): the final set is kept (no evaluation iterations).</summary>
    public TrajectoryMatchingOptions ToOptions(int seed, string outputDir) => new(this)
    {
        Seed = seed, OutputDir = outputDir, Method = "mtt",
        Unroll = UnrollModes.FromRecipe(Unroll, SynSteps, "mtt.unroll"),
    };
}
