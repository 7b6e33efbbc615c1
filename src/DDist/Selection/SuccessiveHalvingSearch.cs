using System.Text.Json;
using DDist.Data;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>Settings of a successive-halving β search: every β gets a short budget, the better half survives and
/// the budget doubles, until one β is left.</summary>
public sealed record SuccessiveHalvingOptions
{
    public required IReadOnlyList<double> Betas { get; init; }
    public required int Ipc { get; init; }
    public WindowOffset Offset { get; init; } = WindowOffset.FractionOfIpc;
    public WindowOverflow Overflow { get; init; } = WindowOverflow.Reject;
    /// <summary>The first round's budget (typically few epochs, one net); epochs double each round.</summary>
    public required EvalBudget StartBudget { get; init; }
    /// <summary>The budget of the full grid search this one is compared with (cost column of the report).</summary>
    public required EvalBudget FullGridBudget { get; init; }
    public int Seed { get; init; }
    /// <summary>What β is chosen on (see <see cref="WindowSearchOptions.EvaluatedOn"/>).</summary>
    public string EvaluatedOn { get; init; } = "test";
    public string EvaluatedWith { get; init; } = "";
    public required string Normalization { get; init; }
    /// <summary>Where to write halving.json (atomically); null to skip.</summary>
    public string? OutputPath { get; init; }
}

public sealed record HalvingRound(int Round, EvalBudget Budget, IReadOnlyList<WindowPoint> Points, IReadOnlyList<double> Kept);

/// <summary>The halving search's winner and what it cost, beside the cost of the full grid and (when a full grid
/// result is supplied) whether both chose the same β.</summary>
public sealed record SuccessiveHalvingResult(IReadOnlyList<HalvingRound> Rounds, double BestBeta, long TrainingCost,
                                             long FullGridCost, double? FullGridBestBeta, bool? SameAsFullGrid, string EvaluatedOn = "test");

public sealed class SuccessiveHalvingSearch(ImageDataset train, DifficultyRanking ranking, DifficultyScores scores, SmallSetEvaluation evaluate)
{
    public SuccessiveHalvingResult Run(SuccessiveHalvingOptions options, WindowSearchResult? fullGrid = null,
                                       IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (options.Betas.Count == 0) throw new ArgumentException("field 'Betas' is empty", nameof(options));
        var search = new WindowSearch(train, ranking, scores, evaluate);
        int images = options.Ipc * ranking.NumClasses;
        var alive = options.Betas.ToList();
        var budget = options.StartBudget;
        var rounds = new List<HalvingRound>();
        long cost = 0;
        int totalEvals = TotalEvaluations(alive.Count), done = 0;
        while (true)
        {
            var asWindow = new WindowSearchOptions
            {
                Betas = alive, Ipc = options.Ipc, Offset = options.Offset, Overflow = options.Overflow, Budget = budget,
                Seed = options.Seed, OutputDir = "", EvaluatedOn = options.EvaluatedOn, EvaluatedWith = options.EvaluatedWith,
                Normalization = options.Normalization,
            };
            var fingerprint = asWindow.Fingerprint(scores.Source, train.Name);
            var points = new List<WindowPoint>();
            foreach (var beta in alive)
            {
                ct.ThrowIfCancellationRequested();
                points.Add(search.Evaluate(beta, asWindow, fingerprint, ct));
                cost += budget.Cost(images);
                progress?.Report(new ProgressReport($"halving round {rounds.Count + 1}", ++done, totalEvals,
                    new Dictionary<string, double> { ["beta"] = beta, ["epochs"] = budget.Epochs }));
            }
            // Keep the better half (rounded up); ties go to the smaller β so the outcome is deterministic.
            var kept = points.OrderByDescending(p => p.Mean).ThenBy(p => p.Beta)
                             .Take(alive.Count == 1 ? 1 : (alive.Count + 1) / 2).Select(p => p.Beta).ToList();
            rounds.Add(new HalvingRound(rounds.Count + 1, budget, points, kept));
            if (alive.Count == 1) break;
            alive = options.Betas.Where(kept.Contains).ToList();
            if (alive.Count == 1) break;
            budget = budget with { Epochs = budget.Epochs * 2 };
        }
        double best = rounds[^1].Kept[0];
        long full = options.Betas.Count * options.FullGridBudget.Cost(images);
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
