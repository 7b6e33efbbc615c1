using System.Text.Json;
using DDist.Data;
using DDist.Evaluation;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>Settings of a successive-halving β search: every β gets a short budget, the better half survives and
/// the budget doubles, until one β is left. A <see cref="WindowGrid"/> plus the budgets and where results go.</summary>
public sealed record SuccessiveHalvingOptions : WindowGrid
{
    public SuccessiveHalvingOptions() { }

    /// <summary>The grid, copied whole, with both budgets.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public SuccessiveHalvingOptions(WindowGrid grid, EvalBudget startBudget, EvalBudget fullGridBudget) : base(grid)
    {
        StartBudget = startBudget;
        FullGridBudget = fullGridBudget;
    }

    /// <summary>The first round's budget (typically few epochs, one net); epochs double each round.</summary>
    public required EvalBudget StartBudget { get; init; }
    /// <summary>The budget of the full grid search this one is compared with (cost column of the report).</summary>
    public required EvalBudget FullGridBudget { get; init; }
    /// <summary>Where to write halving.json (atomically); null to skip.</summary>
    public string? OutputPath { get; init; }
    /// <summary>Where each round's points are kept (round-R/beta-X.json) and read back: an interrupted search resumes,
    /// and the rounds can run as successive scheduler arrays (<see cref="SuccessiveHalvingSearch.RunTask"/>); null: nowhere.</summary>
    public string? PointDir { get; init; }
}

public sealed record HalvingRound(int Round, EvalBudget Budget, IReadOnlyList<WindowPoint> Points, IReadOnlyList<double> Kept);

/// <summary>The halving search's winner and what it cost, beside the cost of the full grid and (when a full grid
/// result is supplied) whether both chose the same β.</summary>
public sealed record SuccessiveHalvingResult(IReadOnlyList<HalvingRound> Rounds, double BestBeta, long TrainingCost,
                                             long FullGridCost, double? FullGridBestBeta, bool? SameAsFullGrid, string EvaluatedOn = "test");

public sealed class SuccessiveHalvingSearch(ImageDataset train, DifficultyRanking ranking, DifficultyScores scores, SmallSetEvaluation evaluate)
{
    public SuccessiveHalvingResult Run(SuccessiveHalvingOptions options, WindowSearchResult? fullGrid = null,
                                       IProgress<ProgressReport>? progress = null, CancellationToken ct = default) =>
        Search(options, fullGrid, progress, ct, only: null)!;

    /// <summary>One task of round <paramref name="round"/> (1-based): evaluates the <paramref name="index"/>-th surviving β
    /// (in grid order) into <see cref="SuccessiveHalvingOptions.PointDir"/>. The earlier rounds must be there already.</summary>
    public void RunTask(SuccessiveHalvingOptions options, int round, int index, CancellationToken ct = default)
    {
        if (options.PointDir is null) throw new ArgumentException("field 'PointDir' is needed to split the search into tasks", nameof(options));
        var sizes = RoundSizes(options.Betas.Count);
        if (round < 1 || round > sizes.Count || index < 0 || index >= sizes[round - 1])
            throw new ArgumentOutOfRangeException(nameof(round), $"round {round} task {index}: the rounds have {string.Join(", ", sizes)} β");
        Search(options, null, null, ct, (round, index));
    }

    /// <summary>How many β each round evaluates: the grid, then the surviving half (rounded up) until one is left.</summary>
    public static IReadOnlyList<int> RoundSizes(int betas)
    {
        var sizes = new List<int> { betas };
        for (int n = betas; n > 1 && (n + 1) / 2 > 1;) sizes.Add(n = (n + 1) / 2);
        return sizes;
    }

    public static string PointDirOf(string pointDir, int round) => Path.Combine(pointDir, $"round-{round}");

    /// <summary>The better half (rounded up) of a round; ties go to the smaller β so the outcome is deterministic.</summary>
    private static List<double> Keep(IReadOnlyList<WindowPoint> points) =>
        points.OrderByDescending(p => p.Mean).ThenBy(p => p.Beta).Take(points.Count == 1 ? 1 : (points.Count + 1) / 2).Select(p => p.Beta).ToList();

    /// <summary>The β round <paramref name="round"/> evaluates, in grid order, read from the earlier rounds' results in
    /// <paramref name="pointDir"/>; null while one of those rounds is unfinished.</summary>
    public static IReadOnlyList<double>? Alive(IReadOnlyList<double> betas, string pointDir, int round)
    {
        var alive = betas.ToList();
        for (int r = 1; r < round; r++)
        {
            var points = new List<WindowPoint>();
            foreach (var beta in alive)
            {
                var path = WindowSearch.PointFile(PointDirOf(pointDir, r), beta);
                if (!File.Exists(path)) return null;
                points.Add(JsonSerializer.Deserialize<WindowPoint>(File.ReadAllText(path), WindowSearch.Json)
                           ?? throw new InvalidDataException($"{path}: empty result file"));
            }
            var kept = Keep(points);
            alive = betas.Where(kept.Contains).ToList();
        }
        return alive;
    }

    private SuccessiveHalvingResult? Search(SuccessiveHalvingOptions options, WindowSearchResult? fullGrid,
                                            IProgress<ProgressReport>? progress, CancellationToken ct, (int Round, int Index)? only)
    {
        var e = new FieldErrors();
        options.Check(e);
        e.Need(options.StartBudget is { Epochs: >= 1, Nets: >= 1 }, "startBudget", $"is {options.StartBudget?.ToString() ?? "missing"}, expected at least 1 epoch and 1 net");
        e.Need(options.FullGridBudget is not null, "fullGridBudget", "is missing");
        e.ThrowIfAny("successive-halving options");
        var search = new WindowSearch(train, ranking, scores, evaluate);
        int images = options.Ipc * ranking.NumClasses;
        var alive = options.Betas.ToList();
        var budget = options.StartBudget!;    // both budgets checked above (options read from JSON may lack them)
        var rounds = new List<HalvingRound>();
        long cost = 0;
        int totalEvals = TotalEvaluations(alive.Count), done = 0;
        while (true)
        {
            var asWindow = new WindowSearchOptions(options, budget, outputDir: "") { Betas = alive };
            var fingerprint = asWindow.Fingerprint(scores.Source, train.Name);
            int round = rounds.Count + 1;
            var dir = options.PointDir is null ? null : PointDirOf(options.PointDir, round);
            WindowPoint PointOf(double beta)
            {
                if (dir is not null && WindowSearch.TryLoadPoint(dir, beta, fingerprint) is { } kept) return kept;
                if (only is { } task && task.Round != round)
                    throw new InvalidOperationException($"{dir}: round {round} of the successive halving has no result for β {beta}; run its tasks first");
                var point = search.Evaluate(beta, asWindow, fingerprint, ct);
                if (dir is not null)
                {
                    Directory.CreateDirectory(dir);
                    AtomicFile.WriteAllText(WindowSearch.PointFile(dir, beta), JsonSerializer.Serialize(point, WindowSearch.Json));
                }
                return point;
            }
            if (only is { } mine && mine.Round == round)
            {
                PointOf(alive[mine.Index]);
                return null;
            }
            var points = new List<WindowPoint>();
            foreach (var beta in alive)
            {
                ct.ThrowIfCancellationRequested();
                points.Add(PointOf(beta));
                cost += budget.Cost(images);
                progress?.Report(new ProgressReport($"halving round {rounds.Count + 1}", ++done, totalEvals,
                    new Dictionary<string, double> { ["beta"] = beta, ["epochs"] = budget.Epochs }));
            }
            var kept = Keep(points);
            rounds.Add(new HalvingRound(rounds.Count + 1, budget, points, kept));
            if (alive.Count == 1) break;
            alive = options.Betas.Where(kept.Contains).ToList();
            if (alive.Count == 1) break;
            budget = budget with { Epochs = budget.Epochs * 2 };
        }
        double best = rounds[^1].Kept[0];
        long full = options.Betas.Count * options.FullGridBudget!.Cost(images);
        double? fullBest = fullGrid is { Complete: true } ? fullGrid.BestBeta : null;
        var result = new SuccessiveHalvingResult(rounds, best, cost, full, fullBest, fullBest is null ? null : fullBest == best, options.EvaluatedOn);
        if (options.OutputPath is not null)
            AtomicFile.WriteAllText(options.OutputPath, JsonSerializer.Serialize(result, WindowSearch.Json));
        return result;
    }

    private static int TotalEvaluations(int n)
    {
        int total = 0;
        while (n > 1) { total += n; n = (n + 1) / 2; }
        return Math.Max(total, 1);
    }
}
