using System.Text.Json;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Pipeline;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>What only the running pipeline knows (dataset size, score source, thread count...): the report's title,
/// settings lines and what the accuracies were measured on. Saved in RUN/report.json at the report stage.</summary>
/// <param name="CrossArchitectures">The architectures the report tables besides the evaluation's own (null: none), so a
/// report drawn before the recipe listed others is known to be out of date.</param>
/// <param name="SetsMade">The distilled sets the report was drawn from (row → when the set was made,
/// <see cref="Pipeline.Stages.RunFolder.SetMade"/>), so a set made anew redraws it; null in headers written before.</param>
public sealed record ReportHeader(string Title, IReadOnlyList<string> Settings, string EvaluatedOn, IReadOnlyList<string>? CrossArchitectures = null,
                                  IReadOnlyDictionary<string, string>? SetsMade = null);

/// <summary>Builds a run's report.md / report.html from the files saved in its folder alone — pipeline.json (rows,
/// stage times, halving, the β used), report.json, window/window.json, the sets (window.safetensors,
/// selmatch/synthetic.safetensors) and the loss curves (selmatch/loss.json, mtt/loss.json) — so `ddist report` redraws
/// a report without the dataset and without running any stage, and a run's report is exactly what its files hold.</summary>
public static class RunReport
{
    public const string HeaderFile = "report.json";
    /// <summary>The comparison rows in table order; keys pipeline.json may hold besides these follow them.</summary>
    public static readonly IReadOnlyList<string> RowOrder = ["random", "window", "mtt", "selmatch"];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Saves the header, then builds the report from the folder. Returns the path of report.md.</summary>
    public static string Write(string runDir, ReportHeader header)
    {
        AtomicFile.WriteAllText(Path.Combine(runDir, HeaderFile), JsonSerializer.Serialize(header, Json));
        return Rebuild(runDir);
    }

    /// <summary>Builds report.md and report.html from the saved files. Returns the path of report.md.</summary>
    public static string Rebuild(string runDir)
    {
        var state = PipelineState.Load(runDir);
        var header = LoadHeader(runDir, state);
        if (state.Rows.Count == 0)
            throw new InvalidDataException($"{Path.Combine(runDir, PipelineState.FileName)}: field 'Rows' is empty: no method has been evaluated yet");
        // The window and SelMatch's set; a run that cut no window (an MTT recipe) shows MTT's random real start and MTT's set.
        bool cutWindows = File.Exists(Path.Combine(runDir, "window.safetensors")) || File.Exists(Path.Combine(runDir, "selmatch", "synthetic.safetensors"));
        using var selected = LoadSet(Path.Combine(runDir, cutWindows ? "window.safetensors" : "random.safetensors"));
        using var distilled = LoadSet(Path.Combine(runDir, cutWindows ? "selmatch" : "mtt", "synthetic.safetensors"));
        var input = new ReportInput
        {
            Title = header.Title,
            Settings = header.Settings,
            EvaluatedOn = header.EvaluatedOn,
            Rows = state.MethodRows(RowOrder.Concat(state.Rows.Keys.Except(RowOrder))),
            EvaluationModel = state.Recipe?["evaluation"]?["model"]?.GetValue<string>(),
            CrossArchitectures = state.CrossArchitectureTable(RowOrder),
            StageTimes = state.StageTimes().Select(s => (s.Stage, TimeSpan.FromSeconds(s.Seconds))).ToList(),
            StagePeakMiB = state.StageTimes().Where(s => s.PeakMiB is not null).ToDictionary(s => s.Stage, s => s.PeakMiB!.Value),
            Window = WindowSearch.LoadSummary(Path.Combine(runDir, "window")),
            Halving = state.Halving,
            RandomOnChoice = state.RandomOnChoice,
            UsedBeta = state.ChosenBeta,
            UsedScoreKind = state.ChosenScoreKind,
            SelMatchLoss = LoadCurve(Path.Combine(runDir, "selmatch", "loss.json")),
            MttLoss = LoadCurve(Path.Combine(runDir, "mtt", "loss.json")),
            Selections = new[] { DistillSelection.Load("SelMatch", Path.Combine(runDir, "selmatch", "distill.json")),
                                 DistillSelection.Load("MTT", Path.Combine(runDir, "mtt", "distill.json")) }.OfType<DistillSelection>().ToList(),
            Selected = selected,
            Distilled = distilled,
            Panels = cutWindows ? ReportInput.WindowPanels : ReportInput.MttPanels,
        };
        return MarkdownReport.Write(input, runDir);
    }

    private static ReportHeader LoadHeader(string runDir, PipelineState state) => ReadHeader(runDir)
        ?? throw new FileNotFoundException($"{Path.Combine(runDir, HeaderFile)}: not found; the run has not reached its report stage (done: " +
                                           $"{string.Join(", ", state.Stages.Select(s => s.Stage))}); finish it with `ddist run` on its recipe",
                                           Path.Combine(runDir, HeaderFile));

    /// <summary>The header the report stage saved (report.json), checked; null when there is none yet.</summary>
    public static ReportHeader? ReadHeader(string runDir)
    {
        var path = Path.Combine(runDir, HeaderFile);
        if (LoadJson<ReportHeader>(path) is not { } header) return null;
        if (string.IsNullOrWhiteSpace(header.Title)) throw new InvalidDataException($"{path}: field 'Title' is empty");
        if (header.Settings is null || header.EvaluatedOn is null)
            throw new InvalidDataException($"{path}: fields 'Settings' and 'EvaluatedOn' are required");
        return header;
    }

    private static SmallSet? LoadSet(string path) => File.Exists(path) ? SmallSet.Load(path) : null;

    private static IReadOnlyList<LossPoint>? LoadCurve(string path)
    {
        if (!File.Exists(path)) return null;
        try { return LossCurve.Load(path); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a loss curve (expected [{{\"Iteration\":…,\"Loss\":…,\"Lr\":…}}, …]): {e.Message}", e); }
    }

    private static T? LoadJson<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty file, expected a {typeof(T).Name}");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid {typeof(T).Name}: {e.Message}", e); }
    }
}
