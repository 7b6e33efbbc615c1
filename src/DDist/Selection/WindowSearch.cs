using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Evaluation;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>Settings of a sliding-window search (SelMatch, Lee et al. ICML 2024, `eval.py --method window`,
/// `scripts/sliding_window`): a <see cref="WindowGrid"/> plus the scoring budget, the output folder and the shard.</summary>
public sealed record WindowSearchOptions : WindowGrid
{
    public WindowSearchOptions() { }

    /// <summary>The grid, copied whole, with the scoring budget and the output folder.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public WindowSearchOptions(WindowGrid grid, EvalBudget budget, string outputDir) : base(grid)
    {
        Budget = budget;
        OutputDir = outputDir;
    }

    public required EvalBudget Budget { get; init; }
    /// <summary>Directory for one result file per β (beta-*.json) and the summary window.json.</summary>
    public required string OutputDir { get; init; }
    /// <summary>This process evaluates the grid points with index ≡ ShardIndex (mod ShardCount).</summary>
    public int ShardIndex { get; init; }
    public int ShardCount { get; init; } = 1;
    /// <summary>The stage progress reports name (a search per score kind names its kind).</summary>
    public string ProgressStage { get; init; } = "window";

    /// <summary>Identifies the experiment; a result file made under a different one is never reused. ZCA-whitened data
    /// add "|zca" (only they, so every earlier point file keeps its fingerprint): a point trained on whitened images is
    /// never read as one trained on normalised ones, copied folders included.</summary>
    public string Fingerprint(string scoresSource, string dataset) => string.Create(CultureInfo.InvariantCulture,
        $"{dataset}|ipc={Ipc}|{Offset.Name()}|{Overflow}|epochs={Budget.Epochs}|nets={Budget.Nets}|seed={Seed}|on={EvaluatedOn}|with={EvaluatedWith}|scores={scoresSource}")
        + (Normalization == ZcaTransform.SpaceName ? "|zca" : "");
}

/// <summary>Accuracy of the pure selection at one β, cut by the ranking of one score kind (null in files written
/// before points named it), and how many of its networks diverged (written only when some did).</summary>
public sealed record WindowPoint(double Beta, double Mean, double Std, IReadOnlyList<double> Accuracies, IReadOnlyList<int> ClassStarts,
                                 double Seconds, string Fingerprint, string? ScoreKind = null,
                                 [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Diverged = 0)
{
    /// <summary>The point's accuracy as an evaluation result ("82.70 ± 0.30 (1 of 2 diverged)" through Percent()).</summary>
    [JsonIgnore] public EvalResult Result => new(Mean, Std, [.. Accuracies], Diverged: Diverged);
}

/// <summary>All β evaluated so far (by any shard) and the best one; where several score kinds were searched, every
/// kind's points and the best over all (<see cref="BestScoreKind"/> its kind).</summary>
public sealed record WindowSearchResult(IReadOnlyList<WindowPoint> Points, double? BestBeta, bool Complete, long TrainingCost, string EvaluatedOn,
                                        string? BestScoreKind = null)
{
    /// <summary>The most accurate point (at <paramref name="beta"/> only, when given); ties go to the lower β, then to
    /// the kind listed first.</summary>
    public WindowPoint? Best(double? beta = null) => Points.Where(p => beta is null || p.Beta == beta)
        .OrderByDescending(p => p.Mean).ThenBy(p => p.Beta).FirstOrDefault();

    /// <summary>Several score kinds' grids, in the recipe's order, as one result.</summary>
    public static WindowSearchResult Combine(IReadOnlyList<WindowSearchResult> perKind)
    {
        var all = new WindowSearchResult(perKind.SelectMany(r => r.Points).ToList(), null, perKind.All(r => r.Complete),
                                         perKind.Sum(r => r.TrainingCost), perKind[0].EvaluatedOn);
        return all.Best() is { } best ? all with { BestBeta = best.Beta, BestScoreKind = best.ScoreKind } : all;
    }
}

/// <summary>Evaluates pure window selections over a β grid and picks the best β. Each β's result is saved
/// atomically as it finishes; a re-run skips the β already done, and shards split the grid.</summary>
public sealed class WindowSearch(ImageDataset train, DifficultyRanking ranking, DifficultyScores scores, SmallSetEvaluation evaluate)
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PointFile(string dir, double beta) =>
        Path.Combine(dir, "beta-" + beta.ToString("0.######", CultureInfo.InvariantCulture) + ".json");

    public static string SummaryFile(string dir) => Path.Combine(dir, "window.json");

    /// <summary>The grid's summary as a search last wrote it (window.json in <paramref name="dir"/>); null when there is none.</summary>
    public static WindowSearchResult? LoadSummary(string dir)
    {
        var path = SummaryFile(dir);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<WindowSearchResult>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty file, expected a window search summary");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid window search summary: {e.Message}", e); }
    }

    public WindowSearchResult Run(WindowSearchOptions options, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        Validate(options);
        var fingerprint = options.Fingerprint(scores.Source, train.Name);
        var mine = options.Betas.Where((_, i) => i % options.ShardCount == options.ShardIndex).ToArray();
        int done = 0;
        foreach (var beta in mine)
        {
            ct.ThrowIfCancellationRequested();
            if (TryLoadPoint(options.OutputDir, beta, fingerprint) is null)
            {
                var point = Evaluate(beta, options, fingerprint, ct);
                AtomicFile.WriteAllText(PointFile(options.OutputDir, beta), JsonSerializer.Serialize(point, Json));
            }
            progress?.Report(new ProgressReport(options.ProgressStage, ++done, mine.Length, new Dictionary<string, double> { ["beta"] = beta }));
        }
        var result = Collect(options, fingerprint);
        AtomicFile.WriteAllText(SummaryFile(options.OutputDir), JsonSerializer.Serialize(result, Json));
        return result;
    }

    /// <summary>Accuracy of the pure selection at one β with the given budget (used by the halving search too).</summary>
    internal WindowPoint Evaluate(double beta, WindowSearchOptions options, string fingerprint, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var window = WindowSelection.Choose(ranking, beta, options.Ipc, options.Offset, 0, FrozenPart.Harder, options.Overflow);
        var info = new SmallSetInfo
        {
            Dataset = train.Name,
            Normalization = options.Normalization,
            Method = "window",
            Ipc = options.Ipc,
            NumClasses = ranking.NumClasses,
            Seed = (ulong)options.Seed,
            Parameters = new()
            {
                ["beta"] = beta.ToString("R", CultureInfo.InvariantCulture),
                ["offset"] = options.Offset.Name(),
                ["scores"] = scores.Source,
                ["score_kind"] = scores.Kind.FileName(),
            },
        };
        using var set = RealSubset.FromWindow(train, window, info);
        var acc = evaluate(set, options.Budget, options.Seed, ct);
        return new WindowPoint(beta, acc.Mean, acc.Std, acc.Accuracies, window.Start, sw.Elapsed.TotalSeconds, fingerprint, scores.Kind.FileName(), acc.Diverged);
    }

    internal static WindowPoint? TryLoadPoint(string dir, double beta, string fingerprint)
    {
        var path = PointFile(dir, beta);
        if (!File.Exists(path)) return null;
        var point = JsonSerializer.Deserialize<WindowPoint>(File.ReadAllText(path), Json)
                    ?? throw new InvalidDataException($"{path}: empty result file");
        if (point.Fingerprint != fingerprint)
            throw new InvalidDataException($"{path}: field 'Fingerprint' is '{point.Fingerprint}', this search is '{fingerprint}'; use another output directory or delete the file");
        if (point.Beta != beta) throw new InvalidDataException($"{path}: field 'Beta' is {point.Beta}, expected {beta}");
        return point;
    }

    private WindowSearchResult Collect(WindowSearchOptions options, string fingerprint)
    {
        var points = options.Betas.Select(b => TryLoadPoint(options.OutputDir, b, fingerprint)).OfType<WindowPoint>().ToList();
        int images = options.Ipc * ranking.NumClasses;
        long cost = points.Count * options.Budget.Cost(images);
        var result = new WindowSearchResult(points, null, points.Count == options.Betas.Count, cost, options.EvaluatedOn);
        return result with { BestBeta = result.Best()?.Beta };
    }

    private void Validate(WindowSearchOptions o)
    {
        var e = new FieldErrors();
        o.Check(e);
        e.Need(o.ShardCount >= 1 && o.ShardIndex >= 0 && o.ShardIndex < o.ShardCount, "shard", $"is {o.ShardIndex}/{o.ShardCount}: expected 0 ≤ index < count");
        e.Need(o.Ipc <= ranking.SmallestClass, "ipc", $"is {o.Ipc}, the smallest class has {ranking.SmallestClass} examples");
        e.Need(o.Budget is { Epochs: >= 1, Nets: >= 1 }, "budget", $"is {o.Budget?.ToString() ?? "missing"}, expected at least 1 epoch and 1 net");
        e.Need(o.OutputDir is not null, "outputDir", "is missing");
        e.ThrowIfAny("window search options");
    }
}
