using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;

namespace DDist.Reporting;

/// <summary>One row of the comparison table: a method's final accuracy (mean ± std over its networks) and the wall
/// time of the stage(s) that made its set.</summary>
public sealed record MethodRow(string Method, EvalResult Accuracy, TimeSpan MakeTime, string Note = "");

/// <summary>Everything the report shows. Sets, curves and searches are optional: missing parts are left out.</summary>
public sealed record ReportInput
{
    public required string Title { get; init; }
    /// <summary>Free lines under the title (dataset, IPC, α, β, models, protocol...).</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];
    public required IReadOnlyList<MethodRow> Rows { get; init; }
    /// <summary>The evaluation's model, heading the cross-architecture table's first column.</summary>
    public string? EvaluationModel { get; init; }
    /// <summary>The same rows evaluated with each other architecture (evaluation.crossArchitectures), in the recipe's order.</summary>
    public IReadOnlyList<(string Model, IReadOnlyList<MethodRow> Rows)> CrossArchitectures { get; init; } = [];
    /// <summary>Wall time of every pipeline stage, in run order.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Time)> StageTimes { get; init; } = [];
    /// <summary>The most each stage's tensors held at once on the run's device, in MiB, for the stages that measured it.</summary>
    public IReadOnlyDictionary<string, double> StagePeakMiB { get; init; } = new Dictionary<string, double>();
    /// <summary>What the accuracies were measured on, e.g. "test set (10000 images)".</summary>
    public string EvaluatedOn { get; init; } = "test set";
    public WindowSearchResult? Window { get; init; }
    /// <summary>The β the distillation used (the search's best unless the recipe fixed one); marked on the window plot.</summary>
    public double? UsedBeta { get; init; }
    /// <summary>The score kind the window was cut by, when the search chose it among several.</summary>
    public string? UsedScoreKind { get; init; }
    public SuccessiveHalvingResult? Halving { get; init; }
    /// <summary>A random pick of the same size trained as the window's points were: drawn across the window plot and
    /// listed under its table.</summary>
    public EvalResult? RandomOnChoice { get; init; }
    public IReadOnlyList<LossPoint>? SelMatchLoss { get; init; }
    public IReadOnlyList<LossPoint>? MttLoss { get; init; }
    /// <summary>Each distillation's evaluations during its run (SelMatch, MTT), where it made any.</summary>
    public IReadOnlyList<DistillSelection> Selections { get; init; } = [];
    /// <summary>The window selection (all real) shown beside the SelMatch set; in an MTT run, the random real images
    /// MTT started from beside MTT's set (<see cref="Panels"/>).</summary>
    public SmallSet? Selected { get; init; }
    public SmallSet? Distilled { get; init; }
    /// <summary>The grids' titles and file names, <see cref="Selected"/>'s and then <see cref="Distilled"/>'s.</summary>
    public (string Title, string File)[] Panels { get; init; } = WindowPanels;

    public static readonly (string, string)[] WindowPanels = [("Window selection (real)", "selected.png"), ("SelMatch (orange = distilled)", "selmatch.png")];
    public static readonly (string, string)[] MttPanels = [("Random real (MTT's start)", "random.png"), ("MTT (orange = distilled)", "mtt.png")];
    public Normalization? Normalization { get; init; }
    /// <summary>Images per class shown in the grids.</summary>
    public int GridPerClass { get; init; } = 10;
}
