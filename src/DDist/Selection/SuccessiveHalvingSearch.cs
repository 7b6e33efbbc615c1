using System.Globalization;
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

/// <summary>One round: its budget, the points it evaluated and the candidates it kept, as β (<see cref="Kept"/>) and,
/// where several score kinds were searched, the kind of each (<see cref="KeptScoreKinds"/>, in the same order).</summary>
public sealed record HalvingRound(int Round, EvalBudget Budget, IReadOnlyList<WindowPoint> Points, IReadOnlyList<double> Kept,
                                  IReadOnlyList<string>? KeptScoreKinds = null);

/// <summary>The halving search's winner and what it cost, beside the cost of the full grid and (when a full grid
/// result is supplied) whether both chose the same β (and, where several score kinds were searched, the same kind).</summary>
public sealed record SuccessiveHalvingResult(IReadOnlyList<HalvingRound> Rounds, double BestBeta, long TrainingCost,
                                             long FullGridCost, double? FullGridBestBeta, bool? SameAsFullGrid, string EvaluatedOn = "test",
                                             string? BestScoreKind = null, string? FullGridBestScoreKind = null,
                                             double? FullGridBestMean = null, double? FullGridMeanOfChoice = null)
{
    /// <summary>What it chose and cost against the full grid, as the report, the log and `ddist window` say it.</summary>
    public string Summary()
    {
        static string Chosen(string? kind, double? beta) =>
            string.Create(CultureInfo.InvariantCulture, $"β = {beta:0.###}") + (kind is null ? "" : $" by {kind} scores");
        string what = BestScoreKind is null ? "β" : "score kind and β";
        return string.Create(CultureInfo.InvariantCulture,
                   $"Successive halving chose {Chosen(BestScoreKind, BestBeta)} for {TrainingCost:N0} image presentations, against {FullGridCost:N0} for the full grid ")
               + (SameAsFullGrid is bool same ? (same ? $"(same {what} as the full grid)." : $"(the full grid chose {Chosen(FullGridBestScoreKind, FullGridBestBeta)}{Cost()}).")
                                              : "(full grid not complete).");
    }

    /// <summary>What choosing by halving lost, read on the full grid: its best point's accuracy against that of halving's choice.</summary>
    private string Cost() => FullGridBestMean is double best && FullGridMeanOfChoice is double choice
        ? string.Create(CultureInfo.InvariantCulture, $", {100 * best:F2} % there, where halving's choice scores {100 * choice:F2} %")
        : "";
}

/// <summary>A ranking the windows can be cut by: one score kind's scores and the class ranking they give.</summary>
public sealed record RankedScores(DifficultyRanking Ranking, DifficultyScores Scores)
{
    public string Kind => Scores.Kind.FileName();
}

/// <summary>One window the halving can keep: a β of the grid, cut by one score kind's ranking.</summary>
public sealed record HalvingCandidate(string Kind, double Beta);

/// <summary>Successive halving over the window grid: over its β, or, given several score kinds' rankings, over every
/// (kind, β) pair, so the kind is chosen with β as in the full grid search. A kind's points of round R are kept in
/// round-R/KIND/ (round-R/ when there is one kind).</summary>
public sealed class SuccessiveHalvingSearch(ImageDataset train, IReadOnlyList<RankedScores> rankings, SmallSetEvaluation evaluate)
{
    public SuccessiveHalvingSearch(ImageDataset train, DifficultyRanking ranking, DifficultyScores scores, SmallSetEvaluation evaluate)
        : this(train, [new RankedScores(ranking, scores)], evaluate) { }

    public SuccessiveHalvingResult Run(SuccessiveHalvingOptions options, WindowSearchResult? fullGrid = null,
                                       IProgress<ProgressReport>? progress = null, CancellationToken ct = default) =>
        Search(options, fullGrid, progress, ct, only: null)!;

    /// <summary>One task of round <paramref name="round"/> (1-based): evaluates the <paramref name="index"/>-th surviving
    /// candidate (in <see cref="Candidates"/> order) into <see cref="SuccessiveHalvingOptions.PointDir"/>. The earlier
    /// rounds must be there already.</summary>
    public void RunTask(SuccessiveHalvingOptions options, int round, int index, CancellationToken ct = default)
    {
        if (options.PointDir is null) throw new ArgumentException("field 'PointDir' is needed to split the search into tasks", nameof(options));
        var sizes = RoundSizes(rankings.Count * options.Betas.Count);
        if (round < 1 || round > sizes.Count || index < 0 || index >= sizes[round - 1])
            throw new ArgumentOutOfRangeException(nameof(round), $"round {round} task {index}: the rounds have {string.Join(", ", sizes)} candidates");
        Search(options, null, null, ct, (round, index));
    }

    /// <summary>How many candidates each round evaluates: all of them, then the surviving half (rounded up) until one is left.</summary>
    public static IReadOnlyList<int> RoundSizes(int candidates)
    {
        var sizes = new List<int> { candidates };
        for (int n = candidates; n > 1 && (n + 1) / 2 > 1;) sizes.Add(n = (n + 1) / 2);
        return sizes;
    }

    /// <summary>Every (kind, β) pair, kind by kind in the order given, β in grid order.</summary>
    public static IReadOnlyList<HalvingCandidate> Candidates(IReadOnlyList<string> kinds, IReadOnlyList<double> betas) =>
        kinds.SelectMany(kind => betas.Select(beta => new HalvingCandidate(kind, beta))).ToList();

    public static string PointDirOf(string pointDir, int round) => Path.Combine(pointDir, $"round-{round}");

    /// <summary>Where round <paramref name="round"/> keeps a candidate's point; <paramref name="byKind"/>: several kinds
    /// are searched, each in a folder of its own.</summary>
    public static string PointFile(string pointDir, int round, HalvingCandidate candidate, bool byKind) =>
        WindowSearch.PointFile(byKind ? Path.Combine(PointDirOf(pointDir, round), candidate.Kind) : PointDirOf(pointDir, round), candidate.Beta);

    /// <summary>The better half (rounded up) of a round; ties go to the smaller β, then to the kind listed first
    /// (as the full grid's <see cref="WindowSearchResult.Best"/>), so the outcome is deterministic.</summary>
    private static List<HalvingCandidate> Keep(IReadOnlyList<HalvingCandidate> alive, IReadOnlyList<WindowPoint> points) =>
        alive.Zip(points).OrderByDescending(cp => cp.Second.Mean).ThenBy(cp => cp.First.Beta)
             .Take(points.Count == 1 ? 1 : (points.Count + 1) / 2).Select(cp => cp.First).ToList();

    /// <summary>The candidates round <paramref name="round"/> evaluates, in <paramref name="candidates"/> order, read from
    /// the earlier rounds' results in <paramref name="pointDir"/>; null while one of those rounds is unfinished.</summary>
    public static IReadOnlyList<HalvingCandidate>? Alive(IReadOnlyList<HalvingCandidate> candidates, string pointDir, int round)
    {
        bool byKind = candidates.Select(c => c.Kind).Distinct().Count() > 1;
        var alive = candidates.ToList();
        for (int r = 1; r < round; r++)
        {
            var points = new List<WindowPoint>();
            foreach (var candidate in alive)
            {
                var path = PointFile(pointDir, r, candidate, byKind);
                if (!File.Exists(path)) return null;
                points.Add(JsonSerializer.Deserialize<WindowPoint>(File.ReadAllText(path), WindowSearch.Json)
                           ?? throw new InvalidDataException($"{path}: empty result file"));
            }
            var kept = Keep(alive, points);
            alive = candidates.Where(kept.Contains).ToList();
        }
        return alive;
    }

    private SuccessiveHalvingResult? Search(SuccessiveHalvingOptions options, WindowSearchResult? fullGrid,
                                            IProgress<ProgressReport>? progress, CancellationToken ct, (int Round, int Index)? only)
    {
        Validate(options);
        var candidates = Candidates(rankings.Select(r => r.Kind).ToList(), options.Betas);
        int images = options.Ipc * rankings[0].Ranking.NumClasses;
        var alive = candidates.ToList();
        var budget = options.StartBudget!;    // both budgets checked above (options read from JSON may lack them)
        var rounds = new List<HalvingRound>();
        long cost = 0;
        int totalEvals = TotalEvaluations(alive.Count), done = 0;
        while (true)
        {
            int round = rounds.Count + 1;
            if (only is { } mine && mine.Round == round)
            {
                PointOf(options, round, budget, alive[mine.Index], mayEvaluate: true, ct);
                return null;
            }
            var points = new List<WindowPoint>();
            foreach (var candidate in alive)
            {
                ct.ThrowIfCancellationRequested();
                points.Add(PointOf(options, round, budget, candidate, mayEvaluate: only is null, ct));
                cost += budget.Cost(images);
                progress?.Report(new ProgressReport($"halving round {round}", ++done, totalEvals,
                    new Dictionary<string, double> { ["beta"] = candidate.Beta, ["epochs"] = budget.Epochs }));
            }
            var kept = Keep(alive, points);
            rounds.Add(new HalvingRound(round, budget, points, kept.Select(c => c.Beta).ToList(), ByKind ? kept.Select(c => c.Kind).ToList() : null));
            if (alive.Count == 1) break;
            alive = candidates.Where(kept.Contains).ToList();
            if (alive.Count == 1) break;
            budget = budget with { Epochs = budget.Epochs * 2 };
        }
        var result = Result(options, rounds, cost, candidates.Count * options.FullGridBudget!.Cost(images), fullGrid);
        if (options.OutputPath is not null)
            AtomicFile.WriteAllText(options.OutputPath, JsonSerializer.Serialize(result, WindowSearch.Json));
        return result;
    }

    private bool ByKind => rankings.Count > 1;

    private void Validate(SuccessiveHalvingOptions options)
    {
        var e = new FieldErrors();
        options.Check(e);
        e.Need(options.StartBudget is { Epochs: >= 1, Nets: >= 1 }, "startBudget", $"is {options.StartBudget?.ToString() ?? "missing"}, expected at least 1 epoch and 1 net");
        e.Need(options.FullGridBudget is not null, "fullGridBudget", "is missing");
        e.Need(rankings.Count > 0 && rankings.Select(r => r.Kind).Distinct().Count() == rankings.Count, "rankings",
               $"are [{string.Join(", ", rankings.Select(r => r.Kind))}], expected at least one, each kind once");
        e.ThrowIfAny("successive-halving options");
    }

    /// <summary>A candidate's point in round <paramref name="round"/>: read back from PointDir when it is there, else
    /// evaluated with the round's budget (and kept there) unless <paramref name="mayEvaluate"/> is false (a task of a
    /// later round, which must find the earlier rounds done).</summary>
    private WindowPoint PointOf(SuccessiveHalvingOptions options, int round, EvalBudget budget, HalvingCandidate candidate, bool mayEvaluate, CancellationToken ct)
    {
        var ranked = rankings.First(r => r.Kind == candidate.Kind);
        var asWindow = new WindowSearchOptions(options, budget, outputDir: "");
        var fingerprint = asWindow.Fingerprint(ranked.Scores.Source, train.Name);
        var file = options.PointDir is null ? null : PointFile(options.PointDir, round, candidate, ByKind);
        if (file is not null && WindowSearch.TryLoadPoint(Path.GetDirectoryName(file)!, candidate.Beta, fingerprint) is { } kept) return kept;
        if (!mayEvaluate)
            throw new InvalidOperationException($"{file}: round {round} of the successive halving has no result for {Name(candidate, ByKind)}; run its tasks first");
        var point = new WindowSearch(train, ranked.Ranking, ranked.Scores, evaluate).Evaluate(candidate.Beta, asWindow, fingerprint, ct);
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            AtomicFile.WriteAllText(file, JsonSerializer.Serialize(point, WindowSearch.Json));
        }
        return point;
    }

    /// <summary>The last round's survivor, beside the full grid's choice when the grid is complete.</summary>
    private SuccessiveHalvingResult Result(SuccessiveHalvingOptions options, List<HalvingRound> rounds, long cost, long fullGridCost, WindowSearchResult? fullGrid)
    {
        var best = new HalvingCandidate(rounds[^1].KeptScoreKinds?[0] ?? rankings[0].Kind, rounds[^1].Kept[0]);
        bool IsChoice(WindowPoint p) => p.Beta == best.Beta && (!ByKind || p.ScoreKind == best.Kind);
        var fullBest = fullGrid is { Complete: true } ? fullGrid.Best() : null;
        var choiceOnGrid = fullBest is null ? null : fullGrid!.Points.FirstOrDefault(IsChoice);
        return new SuccessiveHalvingResult(rounds, best.Beta, cost, fullGridCost, fullBest?.Beta, fullBest is null ? null : IsChoice(fullBest),
                                           options.EvaluatedOn, ByKind ? best.Kind : null, ByKind ? fullBest?.ScoreKind : null,
                                           fullBest?.Mean, choiceOnGrid?.Mean);
    }

    private static string Name(HalvingCandidate candidate, bool byKind) =>
        string.Create(CultureInfo.InvariantCulture, $"β {candidate.Beta}{(byKind ? $" by {candidate.Kind} scores" : "")}");

    private static int TotalEvaluations(int n)
    {
        int total = 0;
        while (n > 1) { total += n; n = (n + 1) / 2; }
        return Math.Max(total, 1);
    }
}
