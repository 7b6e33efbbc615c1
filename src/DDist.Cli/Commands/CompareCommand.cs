using System.CommandLine;
using System.Globalization;
using DDist.Pipeline;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist compare RECIPE`: methods × IPC on one dataset (a comparison recipe, "kind": "comparison"), one
/// table with the published numbers beside ours and a plot of accuracy against IPC. Also serves `ddist distill
/// RECIPE --method dc|dsa|dm` and `ddist run` on a comparison recipe. Seeds come from the recipe (its "seed"), not
/// from --seed, so a recipe names its results completely.</summary>
public static class CompareCommand
{
    /// <summary>The distillation methods a comparison recipe makes.</summary>
    public static readonly string[] DistillMethods = ["dc", "dsa", "dm"];

    public static Command Create(GlobalOptions globals)
    {
        var recipe = RunCommand.RecipeArgument();
        var ipc = new Option<int[]>("--ipc") { Description = "Only these IPCs of the recipe (repeatable; others are refused)", AllowMultipleArgumentsPerToken = true };
        var methods = new Option<string?>("--methods") { Description = "Only these methods of the recipe, comma-separated (e.g. random,dm; others are refused)" };
        var cmd = new Command("compare", "Run a comparison recipe: every method at every IPC, evaluated alike; writes comparison.json, .md and .png (resumes); " +
                                         "--executor slurm submits its units as job arrays instead") { recipe, ipc, methods };
        var slurm = new SlurmSubmit();
        slurm.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(recipe)!;
            ctx.RefuseSeedBeside(path);
            var r = Load(path);
            bool subset = false;
            // A few cells of the recipe, never others: the folder keeps the recipe it runs, and another one would take its place.
            if (parse.GetValue(ipc) is { Length: > 0 } ipcs) (r, subset) = (r.ForIpcs(Within("--ipc", ipcs, r.Ipcs, path)), true);
            if (parse.GetValue(methods) is string m)
                (r, subset) = (r with { Methods = Within("--methods", m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), r.Methods, path) }, true);
            r.Validate("--ipc/--methods");
            if (!slurm.Selected(parse)) return Run(ctx, r);
            // The tasks read their recipe from a file. A subset is not the file given here, but the submission keeps it as
            // the folder's recipe.json before it writes any batch script, so the tasks read that.
            var outDir = SlurmSubmit.OutDir(ctx, r.Name);
            return slurm.Run(parse, ctx, subset ? Path.Combine(outDir, FolderRecipe.FileName) : path, new Pipeline.Executors.StagePlan(r, outDir));
        });
        return cmd;
    }

    private static T[] Within<T>(string option, T[] chosen, IReadOnlyList<T> recipe, string path)
    {
        var outside = chosen.Except(recipe).ToArray();
        if (outside.Length > 0)
            throw new CliException($"{option} {string.Join(",", outside)}: not in {path} (it has {string.Join(",", recipe)}); {option} picks from the " +
                                   "recipe's own, so add it to the recipe (another recipe means another output folder)");
        return chosen;
    }

    /// <summary>`ddist distill RECIPE --method dc|dsa|dm`: makes the method's sets at the recipe's IPCs, no evaluation.</summary>
    public static int Distill(CliContext ctx, string path, string method)
    {
        InputFile.Require(path, "recipe file");
        if (!ComparisonRecipe.IsComparison(path))
            throw new CliException($"{path}: --method {method} needs a comparison recipe (\"kind\": \"comparison\", e.g. recipes/mnist-family-cpu.json); this is a SelMatch recipe");
        var r = Load(path);
        if (!r.Methods.Contains(method)) r = r with { Methods = [.. r.Methods, method] };
        r.Validate(path);
        var outDir = ctx.OutFolder(Path.Combine("runs", r.Name));
        if (ctx.Threads > 0) Torch.Tensors.SetNumThreads(ctx.Threads);
        ctx.Note($"{method} on {r.Dataset}, IPC {string.Join("/", r.Ipcs)}; output {Path.GetFullPath(outDir)}");
        var paths = ProgressView.Run(ctx, p => new ComparisonRunner(r, outDir, p, ctx.Note, ctx.Device).Make(method, ctx.Cancel));
        ctx.WriteResult(new { recipe = r.Name, method, sets = paths }, w => { foreach (var p in paths) w.WriteLine(p); });
        return ExitCodes.Ok;
    }

    public static int RunRecipe(CliContext ctx, string path) => Run(ctx, Load(path));

    private static ComparisonRecipe Load(string path)
    {
        InputFile.Require(path, "recipe file");
        if (!ComparisonRecipe.IsComparison(path))
            throw new CliException($"{path}: not a comparison recipe (no \"kind\": \"{ComparisonRecipe.KindName}\"); `ddist run {path}` runs a recipe of any kind");
        return ComparisonRecipe.Load(path);
    }

    private static int Run(CliContext ctx, ComparisonRecipe r)
    {
        var outDir = ctx.OutFolder(Path.Combine("runs", r.Name));
        if (ctx.Threads > 0) Torch.Tensors.SetNumThreads(ctx.Threads);
        ctx.Note($"{r.Name}: {r.Dataset}, IPC {string.Join("/", r.Ipcs)}, methods {string.Join(", ", r.Methods)}; output {Path.GetFullPath(outDir)}");
        var result = ProgressView.Run(ctx, p => new ComparisonRunner(r, outDir, p, ctx.Note, ctx.Device).Run(ctx.Cancel));
        var json = new
        {
            recipe = r.Name, dataset = r.Dataset, evaluation = result.Evaluation, table = result.MarkdownPath, plot = result.PlotPath,
            rows = result.Rows.Select(row => new
            {
                method = row.Method, ipc = row.Ipc, mean = row.Accuracy.Mean, std = row.Accuracy.Std, diverged = row.Accuracy.Diverged, coverage = row.Coverage,
                published = row.Published?.Mean / 100, source = row.Published?.Source, seconds = row.MakeSeconds,
                across = result.Architectures.Skip(1).Zip(row.Across, (arch, a) => new { architecture = arch, mean = a?.Mean, std = a?.Std, diverged = a?.Diverged }),
                ranking = row.Ranking is not { } k ? null : new
                {
                    labelRobustScore = SavedRanking.Summary(k.LabelRobust).Mean, augmentationRobustScore = k.AugmentationRobust is null ? (double?)null : SavedRanking.Summary(k.AugmentationRobust).Mean,
                    improvementOverRandom = SavedRanking.Summary(k.ImprovementOverRandom).Mean,
                },
            }),
        };
        ctx.WriteResult(json, w =>
        {
            var inv = CultureInfo.InvariantCulture;
            w.WriteLine();
            w.WriteLine($"{r.Dataset}: test accuracy (%), {result.Evaluation}");
            w.WriteLine($"  {"method",-15} {"IPC",4}  {"ours",-15} {"published",-12} {"made in",8}");
            foreach (var row in result.Rows)
                w.WriteLine(string.Format(inv, "  {0,-15} {1,4}  {2,6:F2} ± {3,-6:F2} {4,-12} {5,8}", row.Method, row.Ipc, 100 * row.Accuracy.Mean,
                                          100 * row.Accuracy.Std, row.Published is { } p ? p.Mean.ToString("F1", inv) : "n/a",
                                          row.ImportedFrom is null ? row.MakeSeconds.ToString("F0", inv) + "s" : "imported") + row.Accuracy.DivergedNote());
            if (result.Architectures.Count > 1)
            {
                w.WriteLine();
                w.WriteLine("across architectures (same sets, protocol and seeds), test accuracy (%):");
                int width = Math.Max(14, result.Architectures.Max(a => a.Length) + 2);
                w.WriteLine($"  {"method",-15} {"IPC",4}  " + string.Concat(result.Architectures.Select(a => a.PadRight(width))));
                foreach (var row in result.Rows)
                    w.WriteLine(string.Format(inv, "  {0,-15} {1,4}  ", row.Method, row.Ipc) +
                                string.Concat(new[] { row.Accuracy }.Concat(row.Across).Select(a => (a?.Percent() ?? "–").PadRight(width))).TrimEnd());
            }
            if (result.Rows.Any(row => row.Ranking is not null))
            {
                w.WriteLine();
                w.WriteLine("DD-Ranking scores in [0, 100] (label-robust, augmentation-robust) and the gain over random real images (points):");
                w.WriteLine($"  {"method",-15} {"IPC",4}  {"LRS",-15} {"ARS",-15} {"IOR",7}");
                foreach (var row in result.Rows.Where(row => row.Ranking is not null))
                {
                    var k = row.Ranking!;
                    string Score(double[]? v) => v is null ? "–" : string.Format(inv, "{0:F2} ± {1:F2}", SavedRanking.Summary(v).Mean, SavedRanking.Summary(v).Std);
                    w.WriteLine(string.Format(inv, "  {0,-15} {1,4}  {2,-15} {3,-15} {4,7}", row.Method, row.Ipc, Score(k.LabelRobust), Score(k.AugmentationRobust),
                                              (100 * SavedRanking.Summary(k.ImprovementOverRandom).Mean).ToString("+0.00;-0.00", inv)));
                }
            }
            w.WriteLine($"table: {Path.GetFullPath(result.MarkdownPath)}; plot: {Path.GetFullPath(result.PlotPath)}");
        });
        return ExitCodes.Ok;
    }
}
