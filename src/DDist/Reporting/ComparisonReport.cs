using System.Globalization;
using System.Text;
using System.Text.Json;
using DDist.Pipeline;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>Writes a comparison's outputs: comparison.json (every row with its published counterpart),
/// comparison.md (ours beside the published numbers, the gap to Random beside the literature's, the sources) and
/// comparison.png (test accuracy against IPC, one line per method).</summary>
public static class ComparisonReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(ComparisonRecipe recipe, ComparisonResult result)
    {
        AtomicFile.WriteAllText(result.MarkdownPath, Markdown(recipe, result));
        IpcPlot.Save(result.PlotPath, IpcPoints(result), $"{result.Dataset}: test accuracy against images per class");
        // Last: comparison.json marks the table as made (ComparisonTableStage.IsTaskDone), so it may only stand once
        // the table and plot beside it do.
        WriteJson(recipe, result);
    }

    /// <summary>Test accuracy against IPC, one series per method, ± std bars (drawn by <see cref="IpcPlot"/>).</summary>
    public static IReadOnlyList<(string Method, int Ipc, double Mean, double Std)> IpcPoints(ComparisonResult result) =>
        result.Rows.Select(r => (r.Method, r.Ipc, r.Accuracy.Mean, r.Accuracy.Std)).ToList();

    /// <summary>" (+ MLP 12 s, LeNet 9 s)": the row's evaluations with the other architectures, those made so far.</summary>
    private static string OtherCosts(ComparisonResult result, ComparisonRow r)
    {
        var made = result.Architectures.Skip(1).Zip(r.Across, (arch, a) => a is null ? null : string.Create(CultureInfo.InvariantCulture, $"{arch} {a.Elapsed.TotalSeconds:F0} s"))
                         .OfType<string>().ToList();
        return made.Count == 0 ? "" : $" (+ {string.Join(", ", made)})";
    }

    /// <summary>" (+ ranking 40 s)": what the row's own ranking networks took, when it is ranked.</summary>
    private static string RankingCost(ComparisonRow r) => r.Ranking is { } k ? string.Create(Inv, $" (+ ranking {k.Seconds:F0} s)") : "";

    private static void WriteJson(ComparisonRecipe recipe, ComparisonResult result)
    {
        var doc = new
        {
            recipe = recipe.Name, dataset = recipe.Dataset, evaluation = result.Evaluation, shared_seconds = result.SharedSeconds,
            rows = result.Rows.Select(r => new
            {
                method = r.Method, ipc = r.Ipc, mean = r.Accuracy.Mean, std = r.Accuracy.Std, accuracies = r.Accuracy.Accuracies, diverged = r.Accuracy.Diverged,
                coverage = r.Coverage, make_seconds = r.MakeSeconds, eval_seconds = r.EvalSeconds, set = r.SetPath, imported_from = r.ImportedFrom,
                across = result.Architectures.Skip(1).Zip(r.Across, (arch, a) => new
                {
                    architecture = arch, mean = a?.Mean, std = a?.Std, accuracies = a?.Accuracies, diverged = a?.Diverged, eval_seconds = a?.Elapsed.TotalSeconds,
                }),
                published = r.Published is null ? null : new { mean = r.Published.Mean / 100, std = r.Published.Std / 100, source = r.Published.Source, verified = r.Published.Verified },
                ranking = r.Ranking is not { } k ? null : new
                {
                    labelRobustScore = Summary(k.LabelRobust), augmentationRobustScore = k.AugmentationRobust is null ? null : Summary(k.AugmentationRobust),
                    improvementOverRandom = Summary(k.ImprovementOverRandom), hardLabelRecovery = Summary(k.HardLabelRecovery),
                    improvementWithoutAugmentation = k.ImprovementWithoutAugmentation is null ? null : Summary(k.ImprovementWithoutAugmentation),
                    rounds = k,
                },
            }),
            ranking = recipe.Ranking is null ? null : new { settings = recipe.Ranking, measured = RankingMeasured(recipe.Ranking) },
        };
        AtomicFile.WriteAllText(result.JsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static object Summary(double[] values)
    {
        var s = SavedRanking.Summary(values);
        return new { mean = s.Mean, std = s.Std };
    }

    /// <summary>How the scores are measured apart from DD-Ranking's code, said beside them.</summary>
    private static string RankingMeasured(RankingRecipe ranking) =>
        "every accuracy is the final network's (DD-Ranking keeps the best of test evaluations every 10 epochs); " +
        (ranking.LrSearch is { } lrs
            ? $"random sets, and sets without a learned step size, train at the step size of {string.Join(", ", lrs.Select(l => l.ToString("R", Inv)))} " +
              $"that scores best on {ranking.ValidationPerClass} held-out training images per class (DD-Ranking chooses by test accuracy)"
            : "random sets train at the evaluation's step size (DD-Ranking searches five on the test set; 'ranking.lrSearch' chooses on held-out images)") +
        "; a set's learned step size applies as in every DDist evaluation";

    /// <summary>MTT's experts and its settings at each IPC (IPCs that share them named together).</summary>
    private static string MttLine(MttSection mtt, IReadOnlyList<int> ipcs)
    {
        var byIpc = ipcs.GroupBy(i => mtt.For(i).Describe()).Select(g => $"IPC {string.Join(", ", g)}: {g.Key}");
        return $"MTT: experts {mtt.Experts.Describe()}; {string.Join("; ", byIpc)}; the final set is kept.";
    }

    private static string Markdown(ComparisonRecipe recipe, ComparisonResult result)
    {
        var ipcs = result.Rows.Select(r => r.Ipc).Distinct().OrderBy(i => i).ToList();
        var methods = result.Rows.Select(r => r.Method).Distinct().ToList();
        ComparisonRow? Row(string m, int ipc) => result.Rows.FirstOrDefault(r => r.Method == m && r.Ipc == ipc);
        var md = new StringBuilder();
        md.AppendLine(Inv, $"# {recipe.Name}: {recipe.Dataset}, methods × IPC").AppendLine();
        if (recipe.Description.Length > 0) md.AppendLine(recipe.Description).AppendLine();
        md.AppendLine(Inv, $"Evaluation: {result.Evaluation}. Test accuracy in %, mean ± std over the networks; published numbers in brackets († = recalled from the paper's table, not checked against it).").AppendLine();
        var imported = result.Rows.Where(r => r.ImportedFrom is not null).Select(r => r.Method).Distinct().ToList();
        if (recipe.TrainPerClass is int tpc)
            md.AppendLine(Inv, $"**Every method {(imported.Count > 0 ? "made here " : "")}saw only {tpc} training images per class**; the published numbers use the whole training set.").AppendLine();
        if (recipe.Methods.Contains("mtt") && recipe.Mtt is { } mtt) md.AppendLine(MttLine(mtt, ipcs)).AppendLine();
        if (imported.Count > 0)
            md.AppendLine(Inv, $"Made elsewhere (the recipe's 'sets'), evaluated here like the others: {string.Join(", ", imported)}; their files are under the cost list.").AppendLine();

        md.Append("| method |");
        foreach (var ipc in ipcs) md.Append($" IPC {ipc} (published) |");
        md.AppendLine().Append("|---|").AppendLine(string.Concat(ipcs.Select(_ => "---|")));
        foreach (var m in methods)
        {
            md.Append($"| {m} |");
            foreach (var ipc in ipcs)
            {
                var r = Row(m, ipc);
                md.Append(r is null ? " – |" : $" {Pct(r.Accuracy.Mean)} ± {Pct(r.Accuracy.Std)} ({Published(r)}){r.Accuracy.DivergedNote()} |");
            }
            md.AppendLine();
        }
        md.AppendLine();

        if (methods.Contains("random"))
        {
            md.AppendLine("Gain over Random in points, ours (literature's):").AppendLine();
            md.Append("| method |").AppendLine(string.Concat(ipcs.Select(i => $" IPC {i} |")));
            md.Append("|---|").AppendLine(string.Concat(ipcs.Select(_ => "---|")));
            foreach (var m in methods.Where(m => m != "random"))
            {
                md.Append($"| {m} |");
                foreach (var ipc in ipcs)
                {
                    var (r, baseRow) = (Row(m, ipc), Row("random", ipc));
                    if (r is null || baseRow is null) { md.Append(" – |"); continue; }
                    string lit = r.Published is { } p && baseRow.Published is { } pb ? (p.Mean - pb.Mean).ToString("+0.0;-0.0", Inv) : "n/a";
                    md.Append($" {(100 * (r.Accuracy.Mean - baseRow.Accuracy.Mean)).ToString("+0.00;-0.00", Inv)} ({lit}) |");
                }
                md.AppendLine();
            }
            md.AppendLine();
        }

        if (result.Architectures.Count > 1) AppendAcross(md, result, ipcs, methods);
        if (recipe.Ranking is { } ranking) AppendRanking(md, result, ranking, ipcs, methods);

        if (result.Rows.Any(r => r.Coverage is not null))
        {
            md.AppendLine("Coverage of the test set (r-coverage, Zheng et al. 2023, as SelMatch uses it; features of the embedding network, r = mean nearest-neighbour distance among the reference training images):").AppendLine();
            md.Append("| method |").AppendLine(string.Concat(ipcs.Select(i => $" IPC {i} |")));
            md.Append("|---|").AppendLine(string.Concat(ipcs.Select(_ => "---|")));
            foreach (var m in methods)
                md.Append($"| {m} |").AppendLine(string.Concat(ipcs.Select(i => Row(m, i)?.Coverage is double c ? $" {Pct(c)} |" : " – |")));
            md.AppendLine();
        }

        md.AppendLine(Inv, $"Cost (seconds to make the set, then to evaluate it{(result.Architectures.Count > 1 ? "; then with each other architecture" : "")}" +
                           $"{(recipe.Ranking is null ? "" : "; then the set's own networks of its ranking")}):").AppendLine();
        foreach (var r in result.Rows)
            if (r.ImportedFrom is { } from)
                md.AppendLine(Inv, $"- {r.Method} IPC {r.Ipc}: made elsewhere + {r.EvalSeconds:F0} s{OtherCosts(result, r)}{RankingCost(r)} (`{r.SetPath}`, copied from `{from}`)");
            else md.AppendLine(Inv, $"- {r.Method} IPC {r.Ipc}: {r.MakeSeconds:F0} s + {r.EvalSeconds:F0} s{OtherCosts(result, r)}{RankingCost(r)} (`{r.SetPath}`)");
        foreach (var (what, s) in result.SharedSeconds) md.AppendLine(Inv, $"- shared: {what} {s:F0} s");
        md.AppendLine();

        var sources = result.Rows.Where(r => r.Published is not null).Select(r => r.Published!.Source).Distinct().ToList();
        if (sources.Count > 0)
        {
            md.AppendLine("Sources of the published numbers:").AppendLine();
            foreach (var s in sources) md.AppendLine($"- {s}");
            md.AppendLine("- herding and herding-argmax are both shown beside the DC paper's Herding row, which does not say which rule it used");
            md.AppendLine();
        }
        md.AppendLine(Inv, $"![accuracy against IPC]({ComparisonRunner.PlotFile})");
        return md.ToString();
    }

    /// <summary>Each set's accuracy with the evaluation's own model and with every other architecture listed, one
    /// column per IPC and architecture.</summary>
    private static void AppendAcross(StringBuilder md, ComparisonResult result, List<int> ipcs, List<string> methods)
    {
        var archs = result.Architectures;
        md.AppendLine("Across architectures: the same sets trained with other networks, the protocol, epochs and network seeds otherwise the evaluation's (test accuracy in %):").AppendLine();
        md.Append("| method |").AppendLine(string.Concat(ipcs.SelectMany(i => archs.Select(a => $" IPC {i} {a} |"))));
        md.Append("|---|").AppendLine(string.Concat(ipcs.SelectMany(_ => archs.Select(_ => "---|"))));
        foreach (var m in methods)
        {
            md.Append($"| {m} |");
            foreach (var ipc in ipcs)
            {
                var r = result.Rows.FirstOrDefault(x => x.Method == m && x.Ipc == ipc);
                IEnumerable<Evaluation.EvalResult?> cells = r is null ? archs.Select(_ => (Evaluation.EvalResult?)null) : [r.Accuracy, .. r.Across];
                md.Append(string.Concat(cells.Select(a => a is null ? " – |" : $" {a.Percent()} |")));
            }
            md.AppendLine();
        }
        md.AppendLine();
        if (EvalSettings.FixedLrNote(archs) is { } note) md.AppendLine(note).AppendLine();
    }

    /// <summary>DD-Ranking's label-robust and augmentation-robust scores of every cell, with each cell's gain over
    /// random real images of its size, the random images' own accuracy per IPC and the full training set's.</summary>
    private static void AppendRanking(StringBuilder md, ComparisonResult result, RankingRecipe ranking, List<int> ipcs, List<string> methods)
    {
        var ranked = result.Rows.Where(r => r.Ranking is not null).ToList();
        md.AppendLine("DD-Ranking scores (Li et al. 2025), label-robust / augmentation-robust in [0, 100], mean ± std over the rounds (each round one network of the evaluation " +
                      "and its own random set); in brackets the gain over random real images of the same size under the same evaluation (IOR, points):").AppendLine();
        md.Append("| method |").AppendLine(string.Concat(ipcs.Select(i => $" IPC {i} |")));
        md.Append("|---|").AppendLine(string.Concat(ipcs.Select(_ => "---|")));
        foreach (var m in methods)
        {
            md.Append($"| {m} |");
            foreach (var ipc in ipcs)
            {
                var k = result.Rows.FirstOrDefault(r => r.Method == m && r.Ipc == ipc)?.Ranking;
                md.Append(k is null ? " – |" : $" {Score(k.LabelRobust)} / {(k.AugmentationRobust is null ? "–" : Score(k.AugmentationRobust))} " +
                                               $"({(100 * SavedRanking.Summary(k.ImprovementOverRandom).Mean).ToString("+0.00;-0.00", Inv)}) |");
            }
            md.AppendLine();
        }
        md.AppendLine();
        var randoms = ipcs.Select(ipc => ranked.FirstOrDefault(r => r.Ipc == ipc && r.Ranking!.RandomLabels == "hard")?.Ranking is { } k
            ? $"IPC {ipc} {Percent(k.Random)}{(k.StepSizes.TryGetValue("random", out var lr) ? $" (step size {lr.ToString("R", Inv)})" : "")}" : null).OfType<string>().ToList();
        if (ranked.Count > 0)
        {
            var full = ranked[0].Ranking!;
            md.AppendLine(Inv, $"Random real images (hard labels): {(randoms.Count > 0 ? string.Join(", ", randoms) : "–")}. Full training set: {Pct(full.FullAccuracy)} % " +
                               $"({(full.FullTrained ? $"one whole-data network, {ranking.FullEpochs + 1} epochs" : "given in 'ranking.fullAccuracy'")}). " +
                               $"Weights: w {ranking.LabelWeight.ToString("R", Inv)}, γ {ranking.AugmentationWeight.ToString("R", Inv)}.").AppendLine();
        }
        md.AppendLine($"Measured as DD-Ranking does except: {RankingMeasured(ranking)}.").AppendLine();
    }

    private static string Score(double[] values)
    {
        var s = SavedRanking.Summary(values);
        return $"{s.Mean.ToString("F2", Inv)} ± {s.Std.ToString("F2", Inv)}";
    }

    /// <summary>Accuracies (fractions) as "75.31 ± 0.43" in percent.</summary>
    private static string Percent(double[] accuracies) => SavedRanking.Summary(accuracies).Percent();

    private static string Pct(double v) => (100 * v).ToString("F2", Inv);

    private static string Published(ComparisonRow r) => r.Published is { } p
        ? $"{p.Mean.ToString("F1", Inv)}{(p.Std is double s ? " ± " + s.ToString("F1", Inv) : "")}{(p.Verified ? "" : "†")}"
        : "n/a";
}
