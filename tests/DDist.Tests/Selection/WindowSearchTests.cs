using DDist.Artifacts;
using DDist.Evaluation;
using DDist.Selection;

namespace DDist.Tests.Selection;

[Collection(SerialRngCollection.Name)]
public class WindowSearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-window-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 2 classes × 20; C-score = index, so class c's hardest-first list is its indices in order.
    private static readonly long[] Labels = ToyData.Interleaved(20, 2);
    private static readonly DifficultyScores Scores = new()
    {
        Scores = Enumerable.Range(0, 40).Select(i => (double)i).ToArray(), Kind = ScoreKind.CScore, Direction = HardEnd.Low,
        Dataset = "toy", Source = "test",
    };

    /// <summary>A second ranking that starts each class at index 10 or 11 (then wraps round), nearer the evaluator's peak.</summary>
    private static readonly DifficultyScores Shifted = new()
    {
        Scores = Enumerable.Range(0, 40).Select(i => (double)((i + 30) % 40)).ToArray(), Kind = ScoreKind.LearningSpeed,
        Direction = HardEnd.Low, Dataset = "toy", Source = "shifted",
    };

    /// <summary>A stand-in for training: accuracy peaks when the window's mean index is 16, plus a budget-dependent bias.</summary>
    private sealed class FakeEvaluator
    {
        public readonly List<(double MeanIndex, EvalBudget Budget)> Calls = new();
        public EvalResult Evaluate(SmallSet set, EvalBudget budget, int seed, CancellationToken ct)
        {
            Assert.All(set.IsDistilled, d => Assert.False(d));
            double m = set.SourceIndex.Average();
            Calls.Add((m, budget));
            double acc = 1 - Math.Abs(m - 16) / 40;
            return EvalResult.From(Enumerable.Range(0, budget.Nets).Select(k => acc + 0.001 * k).ToArray());
        }
    }

    private WindowSearchOptions Options(int shard = 0, int shards = 1) => new()
    {
        Betas = [0, 0.25, 0.5, 0.75, 1.0], Ipc = 4, Budget = new EvalBudget(3, 2), OutputDir = _dir, Normalization = "none",
        ShardIndex = shard, ShardCount = shards,
    };

    [Fact]
    public void PicksBestBetaSavesEachPointAndResumes()
    {
        using var train = ToyData.Make(Labels, 2);
        var ranking = DifficultyRanking.Build(Scores, Labels, 2);
        var fake = new FakeEvaluator();
        var search = new WindowSearch(train, ranking, Scores, fake.Evaluate);

        // Shard 1 of 2 does β = 0.25 and 0.75 only.
        var partial = search.Run(Options(1, 2));
        Assert.False(partial.Complete);
        Assert.Equal([0.25, 0.75], partial.Points.Select(p => p.Beta));
        Assert.Equal(2, fake.Calls.Count);

        // The full run skips the two finished β and evaluates the other three.
        var full = search.Run(Options());
        Assert.Equal(5, fake.Calls.Count);
        Assert.True(full.Complete);
        // Windows start at ⌊4β⌋ = 0,1,2,3,4 → mean source indices 3.5, 5.5, 7.5, 9.5, 11.5; closest to 16 is β = 1.
        Assert.Equal(1.0, full.BestBeta);
        Assert.Equal([0, 1, 2, 3, 4], full.Points.Select(p => p.ClassStarts[0]));
        Assert.True(File.Exists(WindowSearch.PointFile(_dir, 0.5)));
        Assert.True(File.Exists(WindowSearch.SummaryFile(_dir)));
        Assert.Equal(5L * (3 + 1) * 8 * 2, full.TrainingCost);   // every network trains epochs + 1

        // A different experiment in the same directory is refused rather than mixed in.
        var other = Options() with { Budget = new EvalBudget(4, 2) };
        var ex = Assert.Throws<InvalidDataException>(() => search.Run(other));
        Assert.Contains("Fingerprint", ex.Message);
    }

    /// <summary>A point whose networks diverged keeps the count in its file (points with none write no field, so their
    /// files are as before) and in the summary read back; it scores what they measured and is not chosen.</summary>
    [Fact]
    public void APointsDivergedNetworksAreCountedInItsFile()
    {
        using var train = ToyData.Make(Labels, 2);
        var fake = new FakeEvaluator();
        var search = new WindowSearch(train, DifficultyRanking.Build(Scores, Labels, 2), Scores, (set, budget, seed, ct) =>
        {
            var acc = fake.Evaluate(set, budget, seed, ct);
            return set.SourceIndex.Average() < 6 ? EvalResult.From([acc.Accuracies[0], 0.1], diverged: 1) : acc;   // β 0 and 0.25
        });
        var result = search.Run(Options());
        Assert.Equal([1, 1, 0, 0, 0], result.Points.Select(p => p.Diverged));
        Assert.Contains("\"Diverged\": 1", File.ReadAllText(WindowSearch.PointFile(_dir, 0)));
        Assert.DoesNotContain("Diverged", File.ReadAllText(WindowSearch.PointFile(_dir, 1.0)));
        Assert.Equal([1, 1, 0, 0, 0], WindowSearch.LoadSummary(_dir)!.Points.Select(p => p.Diverged));
        Assert.Equal(1.0, result.BestBeta);
        Assert.Equal(" (1 of 2 diverged)", result.Points[0].Result.DivergedNote());
    }

    /// <summary>Two score kinds searched into their own folders combine into one choice: every point names its kind, the
    /// best over both grids wins, and a fixed β takes the kind that is best there.</summary>
    [Fact]
    public void TwoScoreKindsCombineIntoOneChoiceOfKindAndBeta()
    {
        using var train = ToyData.Make(Labels, 2);
        var shifted = Shifted;
        var fake = new FakeEvaluator();
        var results = new[] { Scores, shifted }.Select(scores =>
        {
            var dir = Path.Combine(_dir, scores.Kind.FileName());
            return new WindowSearch(train, DifficultyRanking.Build(scores, Labels, 2), scores, fake.Evaluate).Run(Options() with { OutputDir = dir });
        }).ToList();
        var all = WindowSearchResult.Combine(results);

        Assert.Equal(10, all.Points.Count);
        Assert.Equal(["cscore", "learning-speed"], all.Points.Select(p => p.ScoreKind).Distinct());
        Assert.Equal(results.Sum(r => r.TrainingCost), all.TrainingCost);
        Assert.True(all.Complete);
        // Shifted, the windows' mean index runs 13.5, 15.5, … 21.5 (the C-score order's 3.5 … 11.5): β = 0.25 of the
        // shifted ranking is nearest the peak at 16 over both grids; β = 1 is the C-score order's best, β = 0 the shifted one's.
        Assert.Equal((0.25, "learning-speed"), (all.BestBeta, all.BestScoreKind));
        Assert.Equal("cscore", all.Best(1.0)!.ScoreKind);
        Assert.Equal("learning-speed", all.Best(0.0)!.ScoreKind);

        // How alike the two orders are: each against itself 1, against its reverse −1, and the shifted order in between.
        var cscore = DifficultyRanking.Build(Scores, Labels, 2);
        Assert.Equal(1.0, cscore.MeanSpearman(cscore), 12);
        Assert.Equal(-1.0, cscore.MeanSpearman(DifficultyRanking.Build(Scores with { Direction = HardEnd.High }, Labels, 2)), 12);
        // Per class of 20, the shift moves 15 examples 5 places down and 5 examples 15 places up: Σd² = 1500, ρ = 1 − 9000/7980.
        Assert.Equal(1 - 9000.0 / 7980, cscore.MeanSpearman(DifficultyRanking.Build(shifted, Labels, 2)), 12);

        // Ties: the lower β first, then the kind listed first.
        WindowPoint P(double beta, double mean, string kind) => new(beta, mean, 0, [mean], [0, 0], 1, "f", kind);
        var tied = WindowSearchResult.Combine([
            new([P(0.5, 0.8, "forgetting"), P(0.2, 0.8, "forgetting")], 0.2, true, 1, "validation"),
            new([P(0.2, 0.8, "learning-speed")], 0.2, true, 1, "validation")]);
        Assert.Equal((0.2, "forgetting"), (tied.BestBeta, tied.BestScoreKind));
    }

    [Fact]
    public void SuccessiveHalvingKeepsTheBetterHalfAndReportsCost()
    {
        using var train = ToyData.Make(Labels, 2);
        var ranking = DifficultyRanking.Build(Scores, Labels, 2);
        var fake = new FakeEvaluator();
        var full = new WindowSearch(train, ranking, Scores, fake.Evaluate).Run(Options());
        fake.Calls.Clear();
        var halving = new SuccessiveHalvingSearch(train, ranking, Scores, fake.Evaluate).Run(new SuccessiveHalvingOptions
        {
            Betas = [0, 0.25, 0.5, 0.75, 1.0], Ipc = 4, StartBudget = new EvalBudget(1, 1), FullGridBudget = new EvalBudget(3, 2),
            Normalization = "none", OutputPath = Path.Combine(_dir, "halving.json"),
        }, full);
        // 5 β at 1 epoch → keep 3; 3 β at 2 epochs → keep 2; 2 β at 4 epochs → keep 1.
        Assert.Equal([5, 3, 2], halving.Rounds.Select(r => r.Points.Count));
        Assert.Equal([1, 2, 4], halving.Rounds.Select(r => r.Budget.Epochs));
        Assert.Equal(1.0, halving.BestBeta);
        Assert.Equal((5 * (1 + 1) + 3 * (2 + 1) + 2 * (4 + 1)) * 8L, halving.TrainingCost);
        Assert.Equal(5L * (3 + 1) * 8 * 2, halving.FullGridCost);
        Assert.True(halving.SameAsFullGrid);
        Assert.True(File.Exists(Path.Combine(_dir, "halving.json")));
    }
    [Fact]
    public void SuccessiveHalvingRoundsRunAsTasksGiveTheSameSearch()
    {
        using var train = ToyData.Make(Labels, 2);
        var ranking = DifficultyRanking.Build(Scores, Labels, 2);
        var options = new SuccessiveHalvingOptions
        {
            Betas = [0, 0.25, 0.5, 0.75, 1.0], Ipc = 4, StartBudget = new EvalBudget(1, 1), FullGridBudget = new EvalBudget(3, 2),
            Normalization = "none", PointDir = Path.Combine(_dir, "halving"),
        };
        var together = new SuccessiveHalvingSearch(train, ranking, Scores, new FakeEvaluator().Evaluate).Run(options with { PointDir = null });
        Assert.Equal([5, 3, 2], SuccessiveHalvingSearch.RoundSizes(5));
        Assert.Equal([1], SuccessiveHalvingSearch.RoundSizes(1));
        Assert.Equal([2], SuccessiveHalvingSearch.RoundSizes(2));

        var fake = new FakeEvaluator();
        var search = new SuccessiveHalvingSearch(train, ranking, Scores, fake.Evaluate);
        // Round 2 cannot start before round 1 is finished.
        var candidates = SuccessiveHalvingSearch.Candidates(["cscore"], options.Betas);
        Assert.Null(SuccessiveHalvingSearch.Alive(candidates, options.PointDir!, 2));
        Assert.Throws<InvalidOperationException>(() => search.RunTask(options, 2, 0));
        for (int round = 1; round <= 3; round++)
            for (int task = SuccessiveHalvingSearch.RoundSizes(5)[round - 1] - 1; task >= 0; task--)   // any order within a round
                search.RunTask(options, round, task);
        Assert.Equal(5 + 3 + 2, fake.Calls.Count);
        Assert.Equal(together.Rounds[1].Points.Select(p => p.Beta), SuccessiveHalvingSearch.Alive(candidates, options.PointDir!, 2)!.Select(c => c.Beta));
        var assembled = search.Run(options);
        Assert.Equal(10, fake.Calls.Count);   // read back, not evaluated again
        Assert.Equal(together.BestBeta, assembled.BestBeta);
        Assert.Equal(together.Rounds.Select(r => r.Kept), assembled.Rounds.Select(r => r.Kept));
        Assert.Throws<ArgumentOutOfRangeException>(() => search.RunTask(options, 3, 2));
    }

    /// <summary>Given two score kinds, successive halving halves the (kind, β) pairs and lands where the full grid over
    /// both kinds does; run round by round as tasks it keeps each kind's points in a folder of its own and gives the same
    /// search.</summary>
    [Fact]
    public void SuccessiveHalvingOverTwoScoreKindsChoosesTheKindWithBeta()
    {
        using var train = ToyData.Make(Labels, 2);
        var rankings = new[] { Scores, Shifted }.Select(s => new RankedScores(DifficultyRanking.Build(s, Labels, 2), s)).ToList();
        var full = WindowSearchResult.Combine(rankings.Select(r => new WindowSearch(train, r.Ranking, r.Scores, new FakeEvaluator().Evaluate)
            .Run(Options() with { OutputDir = Path.Combine(_dir, "window", r.Kind) })).ToList());
        var options = new SuccessiveHalvingOptions
        {
            Betas = [0, 0.25, 0.5, 0.75, 1.0], Ipc = 4, StartBudget = new EvalBudget(1, 1), FullGridBudget = new EvalBudget(3, 2),
            Normalization = "none", PointDir = Path.Combine(_dir, "halving"),
        };
        var together = new SuccessiveHalvingSearch(train, rankings, new FakeEvaluator().Evaluate).Run(options with { PointDir = null }, full);

        // 10 candidates → 5 → 3 → 2 → 1, and the winner is the full grid's: β 0.25 of the shifted (learning-speed) ranking.
        Assert.Equal([10, 5, 3, 2], together.Rounds.Select(r => r.Points.Count));
        Assert.Equal((0.25, "learning-speed"), (together.BestBeta, together.BestScoreKind));
        Assert.Equal((0.25, "learning-speed"), (together.FullGridBestBeta, together.FullGridBestScoreKind));
        Assert.True(together.SameAsFullGrid);
        Assert.Equal((full.Best()!.Mean, full.Best()!.Mean), (together.FullGridBestMean!.Value, together.FullGridMeanOfChoice!.Value));
        Assert.Equal(10L * (3 + 1) * 8 * 2, together.FullGridCost);
        // Where halving lands elsewhere, the summary says what that costs, read on the full grid (the best window's 98.75 %, plus 0.05 from the fake's second network).
        var elsewhere = together with { BestBeta = 0.5, SameAsFullGrid = false, FullGridMeanOfChoice = 0.9625 };
        Assert.Equal($"Successive halving chose β = 0.5 by learning-speed scores for {together.TrainingCost:N0} image presentations, against " +
                     $"{together.FullGridCost:N0} for the full grid (the full grid chose β = 0.25 by learning-speed scores, 98.80 % there, " +
                     "where halving's choice scores 96.25 %).", elsewhere.Summary());
        Assert.All(together.Rounds, r => Assert.Equal(r.Kept.Count, r.KeptScoreKinds!.Count));
        // Round 1 keeps the five windows whose mean index is nearest 16, best first, of both kinds: the shifted ranking's
        // β 0.25, 0.5, 0, 0.75 (15.5, 17.5, 13.5, 19.5) and the C-score order's β 1 (11.5).
        Assert.Equal(["learning-speed", "learning-speed", "learning-speed", "learning-speed", "cscore"], together.Rounds[0].KeptScoreKinds!);
        Assert.Equal([0.25, 0.5, 0, 0.75, 1.0], together.Rounds[0].Kept);
        // One kind alone is what it always was: its β, no kinds named.
        var alone = new SuccessiveHalvingSearch(train, rankings[0].Ranking, rankings[0].Scores, new FakeEvaluator().Evaluate).Run(options with { PointDir = null });
        Assert.Null(alone.BestScoreKind);
        Assert.All(alone.Rounds, r => Assert.Null(r.KeptScoreKinds));

        var fake = new FakeEvaluator();
        var search = new SuccessiveHalvingSearch(train, rankings, fake.Evaluate);
        var candidates = SuccessiveHalvingSearch.Candidates(["cscore", "learning-speed"], options.Betas);
        for (int round = 1; round <= 4; round++)
            for (int task = SuccessiveHalvingSearch.RoundSizes(10)[round - 1] - 1; task >= 0; task--)
                search.RunTask(options, round, task);
        Assert.Equal(10 + 5 + 3 + 2, fake.Calls.Count);
        Assert.True(File.Exists(SuccessiveHalvingSearch.PointFile(options.PointDir!, 1, new HalvingCandidate("cscore", 0), byKind: true)));
        Assert.True(File.Exists(Path.Combine(_dir, "halving", "round-2", "learning-speed", "beta-0.25.json")));
        Assert.Equal(together.Rounds[3].Points.Select(p => (p.ScoreKind, p.Beta)),
                     SuccessiveHalvingSearch.Alive(candidates, options.PointDir!, 4)!.Select(c => ((string?)c.Kind, c.Beta)));
        var assembled = search.Run(options, full);
        Assert.Equal(20, fake.Calls.Count);   // read back, not evaluated again
        Assert.Equal((together.BestBeta, together.BestScoreKind), (assembled.BestBeta, assembled.BestScoreKind));
        var twice = Assert.Throws<ArgumentException>(() => new SuccessiveHalvingSearch(train, [rankings[0], rankings[0]], fake.Evaluate).Run(options));
        Assert.Contains("[cscore, cscore], expected at least one, each kind once", twice.Message);
    }
}
