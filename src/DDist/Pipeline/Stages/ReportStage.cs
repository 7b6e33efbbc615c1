using System.Globalization;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Pipeline.Stages;

/// <summary>report.md and report.html, drawn from the saved files alone (the rows, stage times and β in
/// pipeline.json, the window summary, the sets and loss curves), exactly as `ddist report DIR` redraws them later;
/// report.json keeps the header lines only the running pipeline knows.</summary>
public sealed class ReportStage(Recipe recipe) : IStage<StageContext>
{
    public string Name => RecipeStages.Report;
    public string Description => "the table (rows assembled from the networks' results) and report.md";
    public string Outputs => "report.md, report.html, report.json and their pictures";
    public IReadOnlyList<string> After => recipe.Evaluation.CrossArchitectures is null ? [RecipeStages.Evaluate] : [RecipeStages.CrossArchitecture];
    public int Tasks => 1;
    public string TaskName(int task) => "report";

    public static string ReportPath(RunFolder folder) => folder.Combine(MarkdownReport.ReportFile);

    // Every file the stage writes (an interruption between two of them leaves the stage to do again), drawn with the
    // architectures the recipe lists now: a list added to a finished run's recipe redraws the report.
    public bool IsTaskDone(RunFolder folder, int task) =>
        File.Exists(ReportPath(folder)) && File.Exists(folder.Combine(HtmlReport.ReportFile)) && RunReport.ReadHeader(folder.Path) is { } header
        && (header.CrossArchitectures ?? []).SequenceEqual(CrossArchitectureKeys)
        && (header.SetsMade is null || header.SetsMade.OrderBy(p => p.Key).SequenceEqual(SetsMade(folder).OrderBy(p => p.Key)));

    /// <summary>When each distilled set the rows evaluate was made: a set made anew (its folder removed and the run
    /// resumed) redraws the report.</summary>
    private static Dictionary<string, string> SetsMade(RunFolder folder) =>
        RunReport.RowOrder.Select(k => (Key: k, Made: folder.SetMade(k))).Where(p => p.Made is not null).ToDictionary(p => p.Key, p => p.Made!);

    /// <summary>What the report's cross-architecture columns are drawn from: the keys the rows are kept under, so a
    /// changed list or step size (evaluation.crossArchitectureLr) redraws it.</summary>
    private string[] CrossArchitectureKeys => (recipe.Evaluation.CrossArchitectures ?? []).Select(recipe.Evaluation.CrossArchitectureKey).ToArray();
    public bool IsDone(RunFolder folder) => IsTaskDone(folder, 0);

    public void Run(StageContext context)
    {
        var r = recipe;
        var (data, chosenOn, protocol) = (context.Data, context.Split.ChosenOn, r.ToEvalProtocol());
        string dataset = Invariant($"dataset {data.Raw.Name}{(data.Zca is null ? "" : " ZCA-whitened (ε 0.1, fitted on the whole training set)")}, IPC {r.Ipc}");
        string experts = "experts " + r.Experts.Describe();
        string[] selection = r.CutsWindows ? WindowLines(context, dataset, experts) :
            [$"{dataset} (MTT: every image distilled, from random real images{(context.Split.Validation is null ? "" : " drawn outside the validation split")})", experts];
        RunReport.Write(context.Folder.Path, new ReportHeader(r.Name,
            [
                .. selection,
                Invariant($"distillation {r.Distill.Iterations} iterations, N {r.Distill.SynSteps}, batch {r.Distill.BatchSyn}, gradient by {UnrollLabel(r)}, best iteration chosen on the {chosenOn}")
                    + (r.Distill.EmaDecay is double ema ? Invariant($"; FTD's moving average of the images (decay {ema}) scored beside them, the better kept") : ""),
                Invariant($"evaluation: {protocol.Name} protocol, {protocol.Model}{(r.Evaluation.CrossArchitectures is { } cross ? $" (and across architectures: {string.Join(", ", cross.Select(m => EvalSettings.CrossArchitectureLabel(m, r.Evaluation.CrossArchitectureLr?.For(m))))})" : "")}, {r.Evaluation.Epochs}+1 epochs, {r.Evaluation.Nets} networks; threads {Tensors.NumThreads}, device {context.Options.Device}"),
            ],
            $"test set, {data.Test.Count} images", r.Evaluation.CrossArchitectures is null ? null : CrossArchitectureKeys, SetsMade(context.Folder)));
    }

    /// <summary>The header lines of a run that cuts windows: SelMatch's split, the scores, β and the window search.</summary>
    private static string[] WindowLines(StageContext context, string dataset, string experts)
    {
        var r = context.Recipe;
        var split = r.SplitPerClass is { } s ? Invariant($" ({s.Distilled} distilled + {s.Selected} selected per class)") : "";
        return
        [
            Invariant($"{dataset}{split}, {context.WindowAt} ({r.WindowSection.Offset})"),
            Invariant($"{experts}; scores {context.Scores.Source}"),
            .. context.ScoreKindAgreement() is { } agreement ? [Invariant($"score kinds searched with β: {agreement}")] : Array.Empty<string>(),
            Invariant($"every choice ({(r.SearchesScoreKinds ? "score kind, " : "")}β, successive halving, best iteration) made on the {context.Split.ChosenOn}; {context.WindowAt} {context.BetaNote}"),
            Invariant($"window search: {r.WindowSection.Epochs}+1 epochs × {r.WindowSection.Nets} networks per β{(r.SearchesScoreKinds ? $" and score kind ({string.Join(", ", r.ScoreKinds.Select(k => k.FileName()))})" : "")}, augmentation {r.WindowSection.Augmentation}"),
        ];
    }

    public void RunTask(StageContext context, int task) => Run(context);

    /// <summary>How distillation differentiated through the student steps, with TESLA marked approximate.</summary>
    private static string UnrollLabel(Recipe r) => r.ToTrajectoryMatchingOptions("-").Unroll switch
    {
        DDist.Distillation.Unrolling.UnrollMode.Full => "full unrolling",
        DDist.Distillation.Unrolling.UnrollMode.Exact => "exact recomputation",
        _ => "TESLA (approximate)",
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
