using DDist.Pipeline.Stages;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>The result of a recipe run: the comparison rows and where the report is (null when the run stopped
/// before the report: <see cref="PipelineOptions.StopAfter"/>).
/// <paramref name="ChosenOn"/> says what β (and every other choice) was chosen on, for every output to show;
/// <paramref name="ScoreKind"/> is the score kind chosen with β where the recipe lists several.</summary>
public sealed record PipelineResult(IReadOnlyList<MethodRow> Rows, double? Beta, string? ReportPath, IReadOnlyList<PipelineState.StageTime> Stages,
                                    string? ChosenOn = null, string? ScoreKind = null)
{
    /// <summary>The rows evaluated with each other architecture the recipe lists, in its order.</summary>
    public IReadOnlyList<(string Model, IReadOnlyList<MethodRow> Rows)> CrossArchitectures { get; init; } = [];
}

/// <summary>The last stage a run goes through; the single-stage commands (`ddist experts/scores/window/distill`
/// with a recipe) are runs that stop early, so every stage shares one folder layout and resumes the same way.</summary>
public enum PipelineStop { Experts, Scores, Window, Distill, Report }

public sealed record PipelineOptions
{
    public PipelineStop StopAfter { get; init; } = PipelineStop.Report;
    /// <summary>Splits the window search's β grid across machines: this one evaluates β number k when k % count == index.</summary>
    public int WindowShardIndex { get; init; }
    public int WindowShardCount { get; init; } = 1;
    /// <summary>The methods to distil ("mtt", "selmatch"); null = those the recipe compares. Lets
    /// `ddist distill --method` run one method without changing the recipe (which would make it another experiment).</summary>
    public IReadOnlyCollection<string>? DistillMethods { get; init; }
    /// <summary>Where training, distillation and evaluation run: the train and test sets are loaded onto it once,
    /// and every network, mini-batch, augmentation and expert θ read follows the data's device.</summary>
    public Device Device { get; init; } = Device.Cpu;
}

/// <summary>Runs a recipe end to end — data → experts → scores → window search → distillation (MTT and SelMatch)
/// → evaluation of Random / window-only / MTT / SelMatch → report; an MTT recipe experts → MTT → evaluation →
/// report — in one output folder, as the units of
/// <see cref="RecipeStages"/>: each stage is skipped when its outputs are in the folder and resumes what an
/// interrupted run left, so a second run does only what is missing. A scheduler task (`ddist task`) runs one piece
/// of one unit through <see cref="RunTask"/>.</summary>
public sealed class RecipeRunner(Recipe recipe, string outDir, IProgress<ProgressReport>? progress = null, Action<string>? log = null,
                                 PipelineOptions? options = null)
{
    private readonly PipelineOptions _options = options ?? new PipelineOptions();

    /// <summary>Every unit of the recipe in dependency order; the Slurm plan is built from the same list.</summary>
    public IReadOnlyList<IStage<StageContext>> Stages { get; } = RecipeStages.For(recipe, RecipeStages.Methods(recipe)
        .Union(options?.DistillMethods ?? []).OrderBy(m => m == "selmatch").ToList());

    public PipelineResult Run(CancellationToken ct = default)
    {
        using var context = Open(ct);
        var stages = StageSequence.Needed(Stages, Targets());
        if (_options.WindowShardCount > 1)
        {
            // Shards of the β grid run side by side on purpose, but what they all read first (experts, scores) is made
            // once: by the first shard, while the others wait for it and then find it done.
            using (LocalRunLock.Wait(outDir, log, ct))
                StageSequence.RunMissing(stages.Where(s => s.Name != RecipeStages.Window), context.Folder, context, log);
            StageSequence.RunMissing(stages.Where(s => s.Name == RecipeStages.Window), context.Folder, context, log);
        }
        else
        {
            using var alone = LocalRunLock.Take(outDir);
            StageSequence.RunMissing(stages, context.Folder, context, log);
        }
        var state = context.State;
        bool chosen = stages.Any(s => s.Name == RecipeStages.ChooseBeta);
        var (beta, kind) = chosen ? (state.ChosenBeta, state.ChosenScoreKind) : (null, null);
        return stages[^1].Name == RecipeStages.Report
            ? new PipelineResult(state.MethodRows(RunReport.RowOrder), beta, ReportStage.ReportPath(context.Folder), state.StageTimes(), state.ChosenOn, kind)
            { CrossArchitectures = state.CrossArchitectureTable(RunReport.RowOrder) }
            : new PipelineResult([], beta, null, state.StageTimes(), state.ChosenOn, kind);
    }

    /// <summary>Task <paramref name="task"/> of unit <paramref name="unit"/> alone (one Slurm array task), after what
    /// combines its inputs when that is still missing (<see cref="StageSequence.RunTask"/>).</summary>
    public void RunTask(string unit, int task, CancellationToken ct = default) =>
        StageSequence.RunTask(Stages, unit, task, new RunFolder(outDir), () => Open(ct), log);

    /// <summary>The units the options ask for; the runner runs them and everything they need.</summary>
    private IEnumerable<string> Targets()
    {
        if (_options.StopAfter is PipelineStop.Scores or PipelineStop.Window)
            recipe.RequireWindow(_options.StopAfter == PipelineStop.Scores ? "the scoring stages" : "`ddist window`", alpha: false);
        return StopTargets();
    }

    private IEnumerable<string> StopTargets() => _options.StopAfter switch
    {
        PipelineStop.Experts => [RecipeStages.Experts],
        PipelineStop.Scores => [RecipeStages.Scores],
        PipelineStop.Window => [_options.WindowShardCount > 1 ? RecipeStages.Window : RecipeStages.ChooseBeta],
        PipelineStop.Distill => (_options.DistillMethods ?? RecipeStages.Methods(recipe)).Select(RecipeStages.Distill),
        _ => [RecipeStages.Report],
    };

    /// <summary>Makes <paramref name="outDir"/> the recipe's folder: recipe.json (refused when the folder holds results of
    /// a recipe of another kind or fields) and its state (pipeline.json). A folder whose run stopped before making
    /// anything — its state records only the time of the attempt — takes a corrected recipe.</summary>
    public static PipelineState ClaimFolder(Recipe recipe, string outDir)
    {
        var statePath = Path.GetFullPath(Path.Combine(outDir, PipelineState.FileName));
        var locks = new[] { statePath + ".lock", Path.GetFullPath(new RunFolder(outDir).Zca) + ".lock" };
        bool NoResult(string file) => Path.GetFullPath(file) is var f && (locks.Contains(f) || f == statePath && PipelineState.Load(outDir).RecordsNothingMade);
        FolderRecipe.Claim(outDir, recipe.ToJson(), NoResult, PipelineState.FreeFields);
        return PipelineState.LoadOrCreate(outDir, recipe.ToJsonNode());
    }

    /// <summary>Opens the folder for this recipe (refusing one made by another recipe) and the run's shared inputs.</summary>
    private StageContext Open(CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        var state = ClaimFolder(recipe, outDir);
        return new StageContext(recipe, new RunFolder(outDir), state, _options, progress, log, ct);
    }
}
