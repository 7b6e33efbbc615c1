using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DDist.Evaluation;
using DDist.Pipeline.Executors;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>What a recipe run has finished, kept in RUN/pipeline.json and rewritten (atomically) after every stage,
/// so an interrupted run resumes where it stopped and `ddist report` can redraw the report without training.</summary>
public sealed class PipelineState
{
    public const string FileName = "pipeline.json";
    /// <summary>Recipe fields a folder's run continues under when they change: those that only describe the experiment,
    /// and the architectures the finished sets are also evaluated with, which change nothing made before that last
    /// evaluation (a folder takes a list added later; the report follows the list as it is now).</summary>
    public static readonly string[] FreeFields = ["description", "source", "evaluation.crossArchitectures", "evaluation.crossArchitectureLr"];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The recipe the run was started with, as a JSON object with every field spelled out. A folder accepts
    /// any command (`run`, `demo`, `window`, `distill`) given the same recipe — compared by content, not by text or
    /// file name — and refuses a different one.</summary>
    public JsonObject? Recipe { get; set; }
    /// <summary>What every choice was made on (<see cref="Recipes.SelectionLabels"/>).</summary>
    public string? ChosenOn { get; set; }
    /// <summary>Each finished stage, in order of completion, with its time when it finished (a stage recorded earlier
    /// keeps its first record). What is done is read from these records; what a stage cost, from <see cref="Work"/>.</summary>
    public List<StageTime> Stages { get; set; } = new();
    /// <summary>Every stretch of wall time a process spent on a stage (or on one scheduler task of it), added when the
    /// process leaves it — finished, interrupted or failed — under an id of its own, so merged saves keep each once.
    /// A stage's time is their sum: the processes before a resume count, and so do tasks on other machines.</summary>
    public List<WorkTime> Work { get; set; } = new();
    /// <summary>The β the distillation used; the report (<see cref="RunReport"/>) marks it on the window plot.</summary>
    public double? ChosenBeta { get; set; }
    /// <summary>The score kind the window was cut by, when the recipe lists several for the window search to choose
    /// among ("forgetting", "learning-speed"); null when it names one. Set with <see cref="ChosenBeta"/>.</summary>
    public string? ChosenScoreKind { get; set; }
    public SuccessiveHalvingResult? Halving { get; set; }
    /// <summary>The random pick (random.safetensors) trained exactly as each β of the window search is — same split,
    /// budget and seed — so the window's points can be read against it before anything is distilled. Null in folders
    /// written before it was made.</summary>
    public EvalResult? RandomOnChoice { get; set; }
    public Dictionary<string, EvaluatedRow> Rows { get; set; } = new();
    /// <summary>The compared rows evaluated with each other architecture the recipe lists (evaluation.crossArchitectures),
    /// by model, then by row as in <see cref="Rows"/>.</summary>
    public Dictionary<string, Dictionary<string, EvaluatedRow>> CrossArchitectureRows { get; set; } = new();

    /// <summary>A stage's time and the most its tensors held at once on the run's device (<see cref="Torch.TensorMemory"/>),
    /// in MiB; null where not measured (folders from before it, load data, a shim without the statistics).</summary>
    public sealed record StageTime(string Stage, double Seconds,
                                   [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PeakMiB = null);
    public sealed record WorkTime(string Stage, double Seconds, string Id,
                                  [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PeakMiB = null);
    /// <summary>A compared row's evaluation; <paramref name="Diverged"/> networks of it trained to a non-finite loss
    /// (written only when there are any, so folders from before it read the same); <paramref name="SetMade"/> names the
    /// set it evaluated where a later run may make that set again (<see cref="Stages.RunFolder.SetMade"/>), so a set
    /// made anew is evaluated anew.</summary>
    public sealed record EvaluatedRow(string Method, double Mean, double Std, double[] Accuracies, double MakeSeconds, string Note,
                                      [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Diverged = 0,
                                      [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SetMade = null);

    public bool Done(string stage) => Stages.Any(s => s.Stage == stage);

    /// <summary>What <paramref name="stage"/> cost: the sum of <see cref="Work"/>, or its finished record for a folder
    /// written before work was recorded.</summary>
    public TimeSpan TimeOf(string stage) => TimeSpan.FromSeconds(Work.Any(w => w.Stage == stage)
        ? Work.Where(w => w.Stage == stage).Sum(w => w.Seconds)
        : Stages.FirstOrDefault(s => s.Stage == stage)?.Seconds ?? 0);

    /// <summary>The most <paramref name="stage"/>'s tensors held at once in any process that worked on it, or its finished
    /// record's; null where none was measured.</summary>
    public double? PeakOf(string stage) =>
        Work.Where(w => w.Stage == stage).Max(w => w.PeakMiB) ?? Stages.FirstOrDefault(s => s.Stage == stage)?.PeakMiB;

    /// <summary>Every stage worked on with what it cost: the finished ones in order of completion, then those only begun
    /// (or run as scheduler tasks alone, which record no finish) in order of first work.</summary>
    public IReadOnlyList<StageTime> StageTimes() =>
        Stages.Select(s => s.Stage).Concat(Work.Select(w => w.Stage)).Distinct()
              .Select(stage => new StageTime(stage, TimeOf(stage).TotalSeconds, PeakOf(stage))).ToList();

    /// <summary>True when the state records nothing made: no finished stage, row or chosen β (only the time of attempts,
    /// such as a run that stopped on a dataset path typo).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool RecordsNothingMade => Stages.Count == 0 && Rows.Count == 0 && ChosenBeta is null && ChosenScoreKind is null && Halving is null && RandomOnChoice is null;

    /// <summary>The folder's state for <paramref name="recipe"/>, or a new one. A state made by another recipe is refused,
    /// naming the first field that differs (the free fields aside), unless it records nothing made: then the folder is
    /// free for the new recipe (<see cref="FolderRecipe.Claim(string, string, string[])"/> has checked that it holds nothing else).</summary>
    public static PipelineState LoadOrCreate(string dir, JsonObject recipe)
    {
        var path = Path.Combine(dir, FileName);
        var fresh = new PipelineState { Recipe = (JsonObject)recipe.DeepClone() };
        if (!File.Exists(path)) return fresh;
        PipelineState state;
        try { state = JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty pipeline state"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a pipeline state ({e.Message})", e); }
        if (state.Recipe is null)
            throw new InvalidDataException($"{path}: field 'Recipe' is missing (a folder made by an older DDist); use a new output folder " +
                                           "(or delete it to start over)");
        if (RecipeDifference.First(state.Recipe, recipe, FreeFields) is { } difference)
            return state.RecordsNothingMade ? fresh
                : throw new InvalidDataException($"{path}: field 'Recipe' holds another recipe than this run's ({difference}); " +
                                                 "use a new output folder (or delete it to start over)");
        state.Recipe = (JsonObject)recipe.DeepClone();   // the description and source as given now
        return state;
    }

    public static PipelineState Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found; is {dir} the output folder of `ddist run`?", path);
        return JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty pipeline state");
    }

    /// <summary>Writes the state, merged with what other processes saved into the same folder meanwhile: stages of
    /// one run may run at once on several machines (scheduler tasks), each adding its own stage or row. The merge
    /// only adds (finished work is never forgotten) and happens under an exclusive lock file, so no update is lost.</summary>
    public void Save(string dir)
    {
        var path = Path.Combine(dir, FileName);
        using var _ = AcquireLock(path + ".lock");
        if (File.Exists(path) && JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json) is { } onDisk
            && RecipeDifference.First(onDisk.Recipe, Recipe, FreeFields) is null)
        {
            foreach (var stage in onDisk.Stages.Where(s => !Done(s.Stage))) Stages.Add(stage);
            var mine = Work.Select(w => w.Id).ToHashSet();
            Work.AddRange(onDisk.Work.Where(w => !mine.Contains(w.Id)));
            foreach (var (key, row) in onDisk.Rows) Rows.TryAdd(key, row);
            foreach (var (model, rows) in onDisk.CrossArchitectureRows)
                foreach (var (key, row) in rows) RowsOf(model).TryAdd(key, row);
            ChosenBeta ??= onDisk.ChosenBeta;
            ChosenScoreKind ??= onDisk.ChosenScoreKind;
            Halving ??= onDisk.Halving;
            RandomOnChoice ??= onDisk.RandomOnChoice;
        }
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>The merge lock: held for the few milliseconds of a read-merge-write, so a wait of minutes means a
    /// process stuck while holding it.</summary>
    private static FileStream AcquireLock(string path) =>
        ExclusiveFileLock.Wait(path, TimeSpan.FromMilliseconds(20), patience: TimeSpan.FromMinutes(2))
        ?? throw new RunFolderBusyException($"{path}: another ddist process has held this lock for 2 minutes; is one stuck?");

    /// <summary>The rows evaluated with <paramref name="model"/> (one of the recipe's crossArchitectures), made on first use.</summary>
    public Dictionary<string, EvaluatedRow> RowsOf(string model) =>
        CrossArchitectureRows.TryGetValue(model, out var rows) ? rows : CrossArchitectureRows[model] = new();

    public IReadOnlyList<MethodRow> MethodRows(IEnumerable<string> order) => MethodRows(Rows, order);

    /// <summary>The rows evaluated with each other architecture, as table rows in <paramref name="order"/>, by model in the
    /// order the recipe lists them (evaluation.crossArchitectures, at evaluation.crossArchitectureLr: the rows kept under
    /// <see cref="EvalSettings.CrossArchitectureKey(string)"/>, named "AlexNet (lr 0.01)" when the step size is fixed; the
    /// keys rows are kept under, when it lists none).</summary>
    public IReadOnlyList<(string Model, IReadOnlyList<MethodRow> Rows)> CrossArchitectureTable(IEnumerable<string> order)
    {
        var lr = CrossArchitectureLr.From(Recipe?["evaluation"]?["crossArchitectureLr"]);
        var models = Recipe?["evaluation"]?["crossArchitectures"] is JsonArray listed
            ? listed.Select(m => m!.GetValue<string>()).Select(m => (Key: EvalSettings.CrossArchitectureKey(m, lr?.For(m)), Label: EvalSettings.CrossArchitectureLabel(m, lr?.For(m)))).ToList()
            : CrossArchitectureRows.Keys.Select(k => (Key: k, Label: k)).ToList();
        return models.Select(m => (m.Label, MethodRows(CrossArchitectureRows.GetValueOrDefault(m.Key) ?? new(), order))).ToList();
    }

    /// <summary><paramref name="rows"/> (<see cref="Rows"/>, or one architecture's) as table rows, in <paramref name="order"/>.</summary>
    public static IReadOnlyList<MethodRow> MethodRows(IReadOnlyDictionary<string, EvaluatedRow> rows, IEnumerable<string> order) =>
        order.Where(rows.ContainsKey).Select(m => rows[m])
             .Select(r => new MethodRow(r.Method, new EvalResult(r.Mean, r.Std, r.Accuracies, Diverged: r.Diverged), TimeSpan.FromSeconds(r.MakeSeconds), r.Note))
             .ToList();
}
