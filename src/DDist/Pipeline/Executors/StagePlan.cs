using DDist.Recipes;
using DDist.Selection;
using DDist.Training.Experts;

namespace DDist.Pipeline.Executors;

/// <summary>A recipe run cut into scheduler units: experts (one task per expert) → forgetting runs (one task per run,
/// when the recipe computes forgetting scores) → scores → window (one task per β)
/// → successive halving when the recipe asks for it (one array per round) → choose β → one distillation job per
/// method → evaluation (one task per network of each compared row) → report (assembles the rows). Every task runs the same <see cref="RecipeRunner"/> as
/// `ddist run` does locally, restricted by <see cref="OptionsFor"/>, so a distributed run writes the same artefacts.</summary>
public sealed class StagePlan
{
    public const string Experts = "experts", Forgetting = "forgetting", Scores = "scores", Window = "window", ChooseBeta = "choose-beta",
                        Evaluate = "evaluate", Report = "report";
    public static string Distill(string method) => "distill-" + method;
    public static string Halving(int round) => "halving-" + round;

    /// <summary>The evaluated rows in the order the runner evaluates them.</summary>
    private static readonly string[] RowOrder = ["random", "window", "mtt", "selmatch"];

    public Recipe Recipe { get; }
    public string OutDir { get; }
    public IReadOnlyList<StageUnit> Units { get; }
    private readonly string[] _rows;
    private readonly string[] _methods;
    private readonly int _nets;

    public StagePlan(Recipe recipe, string outDir)
    {
        Recipe = recipe;
        OutDir = outDir;
        _rows = RowOrder.Where(recipe.Compare.Contains).ToArray();
        _methods = recipe.Compare.Contains("mtt") ? ["mtt", "selmatch"] : ["selmatch"];
        var expertDir = Path.Combine(outDir, "experts");
        var windowDir = Path.Combine(outDir, "window");
        var units = new List<StageUnit>
        {
            new(Experts, recipe.Experts.Count, [], "expert trajectories, one task per expert", i =>
                File.Exists(Path.Combine(expertDir, ExpertTrainer.ExpertFileName(i))) &&
                File.Exists(Path.ChangeExtension(Path.Combine(expertDir, ExpertTrainer.ExpertFileName(i)), ".json"))),
        };
        bool ScoresDone() => State()?.Done("scores") == true && File.Exists(Path.Combine(outDir, "scores.safetensors"));
        bool computesForgetting = recipe.ResolveScoreFile() is null;
        if (computesForgetting)
            units.Add(new StageUnit(Forgetting, recipe.Scores.Runs, [Experts], "forgetting-score training runs, one task per run",
                i => ScoresDone() || File.Exists(ForgettingScoreTrainer.RunFile(Path.Combine(outDir, "forgetting"), i))));
        units.AddRange(
        [
            new(Scores, 1, [computesForgetting ? Forgetting : Experts], computesForgetting ? "difficulty scores from the forgetting runs" : "imported difficulty scores",
                _ => ScoresDone()),
            new(Window, recipe.Window.Betas.Length, [Scores], "sliding-window search, one task per β",
                i => File.Exists(WindowSearch.PointFile(windowDir, recipe.Window.Betas[i]))),
        ]);
        // Successive halving: one array per round; round r's tasks evaluate the survivors of round r − 1.
        var after = Window;
        if (recipe.Window.HalvingStartEpochs is not null)
        {
            var sizes = SuccessiveHalvingSearch.RoundSizes(recipe.Window.Betas.Length);
            var pointDir = Path.Combine(outDir, "halving");
            for (int r = 1; r <= sizes.Count; r++)
            {
                int round = r;
                units.Add(new StageUnit(Halving(round), sizes[r - 1], [after], $"successive halving round {round}, one task per surviving β",
                    i => State()?.Halving is not null ||
                         SuccessiveHalvingSearch.Alive(recipe.Window.Betas, pointDir, round) is { } alive &&
                         File.Exists(WindowSearch.PointFile(SuccessiveHalvingSearch.PointDirOf(pointDir, round), alive[i]))));
                after = Halving(round);
            }
        }
        units.Add(new StageUnit(ChooseBeta, 1, [after], "the chosen β (and the halving summary)", _ => State()?.ChosenBeta is not null));
        units.AddRange(_methods.Select(m => new StageUnit(Distill(m), 1, [ChooseBeta], $"{m} distillation",
            _ => State()?.Done("distill " + m) == true && File.Exists(Path.Combine(outDir, m, "synthetic.safetensors")))));
        _nets = recipe.Evaluation.Nets;
        units.Add(new StageUnit(Evaluate, _rows.Length * _nets, _methods.Select(Distill).ToArray(),
            $"evaluation, one task per network and row ({_nets} × {string.Join(", ", _rows)})",
            t => State()?.Rows.ContainsKey(_rows[t / _nets]) == true || File.Exists(NetworkResults.FileFor(outDir, _rows[t / _nets], t % _nets))));
        units.Add(new StageUnit(Report, 1, [Evaluate], "the table (rows assembled from the networks' results) and report.md",
            _ => File.Exists(Path.Combine(outDir, "report.md"))));
        Units = units;
    }

    public StageUnit Unit(string name) => Units.FirstOrDefault(u => u.Name == name)
        ?? throw new ArgumentException($"stage unit '{name}': expected one of {string.Join(", ", Units.Select(u => u.Name))}");

    public bool Complete => Units.All(u => !u.MissingTasks().Any());

    /// <summary>What task <paramref name="task"/> of <paramref name="unit"/> asks of the recipe runner.</summary>
    public PipelineOptions OptionsFor(string unit, int task)
    {
        var u = Unit(unit);
        if (task < 0 || task >= u.Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $"stage unit '{unit}' has tasks 0..{u.Tasks - 1}");
        return unit switch
        {
            Experts => new PipelineOptions { StopAfter = PipelineStop.Experts, ExpertShard = new ShardSpec(task, u.Tasks) },
            Forgetting => new PipelineOptions { StopAfter = PipelineStop.Scores, ForgettingRun = task },
            Scores => new PipelineOptions { StopAfter = PipelineStop.Scores },
            Window => new PipelineOptions { StopAfter = PipelineStop.Window, WindowShardIndex = task, WindowShardCount = u.Tasks },
            ChooseBeta => new PipelineOptions { StopAfter = PipelineStop.Window },
            Evaluate => new PipelineOptions { StopAfter = PipelineStop.Report, OnlyMethod = _rows[task / _nets], EvalNetwork = task % _nets },
            Report => new PipelineOptions { StopAfter = PipelineStop.Report },
            _ when unit.StartsWith("halving-") => new PipelineOptions { StopAfter = PipelineStop.Window, HalvingTask = (int.Parse(unit["halving-".Length..]), task) },
            _ => new PipelineOptions { StopAfter = PipelineStop.Distill, OnlyMethod = unit["distill-".Length..] },
        };
    }

    private PipelineState? State() =>
        File.Exists(Path.Combine(OutDir, PipelineState.FileName)) ? PipelineState.Load(OutDir) : null;
}
