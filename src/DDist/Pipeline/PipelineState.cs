using System.Text.Json;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>What a recipe run has finished, kept in RUN/pipeline.json and rewritten (atomically) after every stage,
/// so an interrupted run resumes where it stopped and `ddist report` can redraw the report without training.</summary>
public sealed class PipelineState
{
    public const string FileName = "pipeline.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The recipe the run was started with (a different recipe in the same folder is refused).</summary>
    public string RecipeJson { get; set; } = "";
    /// <summary>Wall time of each finished stage, in order of completion (a resumed stage keeps its first time).</summary>
    public List<StageTime> Stages { get; set; } = new();
    /// <summary>The β the distillation used; the report (<see cref="RunReport"/>) marks it on the window plot.</summary>
    public double? ChosenBeta { get; set; }
    public SuccessiveHalvingResult? Halving { get; set; }
    public Dictionary<string, EvaluatedRow> Rows { get; set; } = new();

    public sealed record StageTime(string Stage, double Seconds);
    public sealed record EvaluatedRow(string Method, double Mean, double Std, double[] Accuracies, double MakeSeconds, string Note);

    public bool Done(string stage) => Stages.Any(s => s.Stage == stage);
    public TimeSpan TimeOf(string stage) => TimeSpan.FromSeconds(Stages.FirstOrDefault(s => s.Stage == stage)?.Seconds ?? 0);

    public static PipelineState LoadOrCreate(string dir, string recipeJson)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return new PipelineState { RecipeJson = recipeJson };
        var state = JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json)
                    ?? throw new InvalidDataException($"{path}: empty pipeline state");
        if (state.RecipeJson != recipeJson)
            throw new InvalidDataException($"{path}: field 'RecipeJson' holds another recipe than this run's; use a new output folder " +
                                           "(or delete it to start over)");
        return state;
    }

    public static PipelineState Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found; is {dir} the output folder of `ddist run`?", path);
        return JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty pipeline state");
    }

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));

    public IReadOnlyList<MethodRow> MethodRows(IEnumerable<string> order) =>
        order.Where(Rows.ContainsKey).Select(m => Rows[m])
             .Select(r => new MethodRow(r.Method, new AccuracyEstimate(r.Mean, r.Std, r.Accuracies), TimeSpan.FromSeconds(r.MakeSeconds), r.Note))
             .ToList();
}
