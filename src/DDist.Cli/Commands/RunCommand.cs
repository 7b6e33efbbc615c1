using System.CommandLine;
using System.Globalization;
using DDist.Pipeline;
using DDist.Pipeline.Executors;
using DDist.Recipes;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist run RECIPE`, `ddist demo`, and the recipe-driven stage commands (`window`, `distill`, `scores run`):
/// all are one <see cref="RecipeRunner"/> in one output folder, stopping after different stages, so they share the
/// folder layout and resume each other.</summary>
public static class RunCommand
{
    public const string DemoRecipe = "recipes/fashion-mnist-ipc10-demo.json";

    public static Command Create(GlobalOptions globals)
    {
        var recipe = RecipeArgument();
        var unroll = UnrollOption();
        var ipc = IpcOption();
        var cmd = new Command("run", "Run a recipe end to end (resumes): a SelMatch recipe data → experts → scores → window → distill → " +
                                     "evaluate → report (an MTT recipe, comparing random and mtt: experts → distill → evaluate → report), a comparison every method at every IPC, a DD/SLD or DATM/TESLA recipe its distillation; " +
                                     "--executor slurm submits the stages as Slurm job arrays instead") { recipe, unroll, ipc };
        var slurm = new SlurmSubmit();
        slurm.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(recipe)!;
            ctx.RefuseSeedBeside(path);
            if (parse.GetValue(ipc) is not null && (RecipeKindCheck.Of(path) != RecipeKind.Pipeline || ComparisonRecipe.IsComparison(path)))
                throw new CliException($"--ipc: {path} is not a SelMatch/MTT recipe (a comparison takes `ddist compare --ipc`; the others set their own)");
            if (parse.GetValue(ipc) is not null && slurm.Selected(parse))
                throw new CliException("--ipc with --executor slurm: the tasks read the recipe file; set its field 'ipc' instead");
            // DD / SLD and DATM / TESLA recipes are one distillation each, with its own checkpoints: `run` is `distill`
            // with the recipe's method.
            switch (RecipeKindCheck.Of(path))
            {
                case RecipeKind.Unrolled or RecipeKind.SoftLabel when slurm.Selected(parse):
                    throw new CliException($"--executor slurm: {path} is one distillation, not a run of stages; submit it as one job " +
                                           $"(e.g. sbatch --gpus=1 --wrap './ddist run {path} --device cuda')");
                case RecipeKind.Unrolled:
                    return UnrolledDistillCommand.Run(ctx, path, UnrolledRecipe.Load(path).Method, parse.GetValue(unroll));
                case RecipeKind.SoftLabel:
                    return SoftLabelDistillCommand.Run(ctx, path, SoftLabelRecipe.Load(path).Method, parse.GetValue(unroll));
            }
            if (ComparisonRecipe.IsComparison(path))
            {
                if (parse.GetValue(unroll) is not null) throw new CliException($"--unroll: {path} is a comparison recipe; its methods (DC, DSA, DM, coresets) unroll nothing");
                if (!slurm.Selected(parse)) return CompareCommand.RunRecipe(ctx, path);
                var c = ComparisonRecipe.Load(path);
                return slurm.Run(parse, ctx, path, new StagePlan(c, SlurmSubmit.OutDir(ctx, c.Name)));
            }
            var r = WithIpc(WithUnroll(LoadRecipe(path), parse.GetValue(unroll)), parse.GetValue(ipc));
            return slurm.Selected(parse) ? slurm.Run(parse, ctx, path, new StagePlan(r, SlurmSubmit.OutDir(ctx, r.Name)), parse.GetValue(unroll))
                                         : Run(ctx, r, PipelineStop.Report);
        });
        return cmd;
    }

    public static Command CreateDemo(GlobalOptions globals)
    {
        var cmd = new Command("demo", $"The main job: MTT and SelMatch against Random on Fashion-MNIST at IPC 10, end to end ({DemoRecipe}), 14-25 min on 2 cores (AVX-512 / AVX2-only)");
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var root = Environment.GetEnvironmentVariable("DDIST_ROOT") ?? Directory.GetCurrentDirectory();
            // A checkout's recipe first (DDIST_ROOT, as ./ddist sets it), else the copy shipped with the program.
            var path = File.Exists(Path.Combine(root, DemoRecipe)) ? Path.Combine(root, DemoRecipe) : RecipeFile.Resolve(DemoRecipe);
            ctx.RefuseSeedBeside(path);
            var r = LoadRecipe(path);
            return Run(ctx with { Out = ctx.Out ?? Path.Combine(root, "runs", "demo") }, r, PipelineStop.Report);
        });
        return cmd;
    }

    public static Command CreateWindow(GlobalOptions globals)
    {
        var recipe = RecipeArgument();
        var ipc = IpcOption();
        var shard = new Option<string?>("--shard") { Description = "i/n: evaluate only every n-th β of the grid, starting at i (split across machines)" };
        var cmd = new Command("window", "Sliding-window search over difficulty-ranked classes (runs the recipe's experts and scores first if missing); " +
                                        "writes window/ (each β's result, window.json, window.png) and prints the grid") { recipe, ipc, shard };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            ctx.RefuseSeedBeside(parse.GetValue(recipe)!);
            var r = WithIpc(LoadRecipe(parse.GetValue(recipe)!), parse.GetValue(ipc));
            var (index, count) = ParseShard(parse.GetValue(shard));
            return Run(ctx, r, PipelineStop.Window, new PipelineOptions { StopAfter = PipelineStop.Window, WindowShardIndex = index, WindowShardCount = count });
        });
        return cmd;
    }

    public static Command CreateDistill(GlobalOptions globals)
    {
        var recipe = RecipeArgument();
        var method = new Option<string>("--method") { Description = "selmatch (window init, partial update), mtt (random real init, α = 1), " +
                                                                       "dd or sld (unrolled, learned step sizes; an 'unrolled' recipe), datm or tesla (soft-label matching; a soft-label recipe), " +
                                                                       "dc, dsa, dm or mtt (with a comparison recipe)", DefaultValueFactory = _ => "selmatch" };
        var unroll = UnrollOption();
        var ipc = IpcOption();
        var cmd = new Command("distill", "Distil as the recipe sets it (trajectory matching runs earlier stages first if missing)") { recipe, method, unroll, ipc };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var m = parse.GetValue(method)!.Trim().ToLowerInvariant();
            ctx.RefuseSeedBeside(parse.GetValue(recipe)!);
            if (parse.GetValue(ipc) is not null && m is not ("selmatch" or "mtt"))
                throw new CliException($"--ipc: for --method {m} the recipe sets the images per class; --ipc applies to selmatch and mtt");
            // MTT is also a method of comparison recipes (its sets at every IPC of the table).
            if (CompareCommand.DistillMethods.Contains(m) || m == "mtt" && ComparisonRecipe.IsComparison(parse.GetValue(recipe)!))
                return CompareCommand.Distill(ctx, parse.GetValue(recipe)!, m);
            RecipeKindCheck.Require(parse.GetValue(recipe)!, m);
            if (UnrolledDistillCommand.Handles(m)) return UnrolledDistillCommand.Run(ctx, parse.GetValue(recipe)!, m, parse.GetValue(unroll));
            if (SoftLabelDistillCommand.Handles(m)) return SoftLabelDistillCommand.Run(ctx, parse.GetValue(recipe)!, m, parse.GetValue(unroll));
            if (m is not ("selmatch" or "mtt")) throw new CliException($"--method '{m}': expected selmatch, mtt, dd, sld, datm, tesla, dc, dsa or dm");
            // The recipe stays as written (so the folder `run`/`demo` made from it is the same experiment); only the
            // method to distil is this command's.
            var r = WithIpc(WithUnroll(LoadRecipe(parse.GetValue(recipe)!), parse.GetValue(unroll)), parse.GetValue(ipc));
            return Run(ctx, r, PipelineStop.Distill, new PipelineOptions { StopAfter = PipelineStop.Distill, DistillMethods = [m] });
        });
        return cmd;
    }

    internal static Option<string?> UnrollOption() => new("--unroll")
    {
        Description = "How distillation differentiates through the student steps: full (unroll), exact (recompute; same gradient, " +
                      "memory flat in the number of steps) or tesla (approximate; trajectory matching only); overrides the recipe's " +
                      "distill.unroll (SelMatch, MTT), matching.unroll (DATM, TESLA labels) or unrolled.unroll (DD, SLD)",
    };

    /// <summary>--ipc of run, window and distill: the same override on each, so the three continue one folder (its
    /// recipe.json records the IPC used).</summary>
    internal static Option<int?> IpcOption() => new("--ipc") { Description = "Images per class (overrides the recipe's; give it to every command that continues the folder)" };

    /// <summary>The recipe with --ipc applied, validated (an IPC its classes cannot hold names the flag).</summary>
    internal static Recipe WithIpc(Recipe r, int? ipc)
    {
        if (ipc is not int n) return r;
        if (n < 1) throw new CliException($"--ipc {n}: must be at least 1");
        r = r with { Ipc = n };
        r.Validate("--ipc");
        return r;
    }

    /// <summary>The recipe with --unroll applied (validated: a bad value names the flag).</summary>
    internal static Recipe WithUnroll(Recipe r, string? unroll)
    {
        if (unroll is null) return r;
        if (!DDist.Distillation.Unrolling.UnrollModes.TryParse(unroll, out _))
            throw new CliException($"--unroll '{unroll}': expected full, exact or tesla");
        return r with { Distill = r.Distill with { Unroll = unroll.Trim().ToLowerInvariant() } };
    }

    internal static Argument<string> RecipeArgument() => new("recipe")
    {
        Description = "Recipe JSON file, or the name of one shipped in recipes/ (e.g. fashion-mnist-ipc10-demo)",
        CustomParser = result => RecipeFile.Resolve(result.Tokens.Single().Value),
    };

    /// <summary>A SelMatch/MTT recipe; one of another kind is refused by its kind and the command that runs it, not by the
    /// first field this schema does not know.</summary>
    internal static Recipe LoadRecipe(string path)
    {
        InputFile.Require(path, "recipe file");
        if (ComparisonRecipe.IsComparison(path))
            throw new CliException($"{path} is a comparison recipe (\"kind\": \"comparison\"); this command reads a SelMatch/MTT recipe. " +
                                   "Run it with `ddist run` or `ddist compare`, or `ddist distill --method dc|dsa|dm`");
        return RecipeKindCheck.Of(path) switch
        {
            RecipeKind.Unrolled => throw new CliException($"{path} is a DD/SLD recipe (a section 'unrolled'); this command reads a SelMatch/MTT recipe. " +
                                                          "Run it with `ddist run` or `ddist distill --method dd|sld`"),
            RecipeKind.SoftLabel => throw new CliException($"{path} is a DATM/TESLA recipe (a section 'matching'); this command reads a SelMatch/MTT recipe. " +
                                                           "Run it with `ddist run` or `ddist distill --method datm|tesla`"),
            _ => Recipe.Load(path),
        };
    }

    internal static (int Index, int Count) ParseShard(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var i) && int.TryParse(parts[1], out var n) && n >= 1 && i >= 0 && i < n) return (i, n);
        throw new CliException($"--shard '{text}': expected i/n with 0 ≤ i < n, e.g. 0/4");
    }

    private static int Run(CliContext ctx, Recipe recipe, PipelineStop stop, PipelineOptions? options = null)
    {
        var outDir = ctx.OutFolder(Path.Combine("runs", recipe.Name));
        if (ctx.Threads > 0) Torch.Tensors.SetNumThreads(ctx.Threads);
        ctx.Note($"{recipe}; output {Path.GetFullPath(outDir)}");
        // Stage lines go to stderr only when no live progress display owns the terminal.
        Action<string>? log = Console.IsErrorRedirected || !ReferenceEquals(ctx.Error, Console.Error) ? ctx.Note : null;
        var pipelineOptions = (options ?? new PipelineOptions { StopAfter = stop }) with { Device = ctx.Device };
        var result = ProgressView.Run(ctx, p => new RecipeRunner(recipe, outDir, p, log, pipelineOptions).Run(ctx.Cancel));
        var json = new
        {
            recipe = recipe.Name, output = Path.GetFullPath(outDir), beta = result.Beta, scoreKind = result.ScoreKind,
            betaSource = result.Beta is null ? null : recipe.Distill.Beta is null ? "window search" : "recipe", chosenOn = result.ChosenOn, report = result.ReportPath,
            rows = result.Rows.Select(row => new
            {
                method = row.Method, mean = row.Accuracy.Mean, std = row.Accuracy.Std, accuracies = row.Accuracy.Accuracies, diverged = row.Accuracy.Diverged,
                seconds = row.MakeTime.TotalSeconds, note = row.Note,
            }),
            crossArchitectures = result.CrossArchitectures.Select(c => new
            {
                model = c.Model,
                rows = c.Rows.Select(row => new { method = row.Method, mean = row.Accuracy.Mean, std = row.Accuracy.Std, accuracies = row.Accuracy.Accuracies, diverged = row.Accuracy.Diverged }),
            }),
            stages = result.Stages.Select(s => new { stage = s.Stage, seconds = s.Seconds }),
        };
        ctx.WriteResult(json, w =>
        {
            if (stop == PipelineStop.Window) WindowGridText.Print(w, outDir);
            PrintTable(w, recipe, result, outDir);
        });
        return ExitCodes.Ok;
    }

    /// <summary>Each row's accuracy with the evaluation's model and every other architecture, a column each.</summary>
    private static void PrintCrossArchitectures(TextWriter w, Recipe recipe, PipelineResult result)
    {
        var models = result.CrossArchitectures.Select(c => c.Model).Prepend(recipe.Evaluation.Model).ToList();
        var cells = result.Rows.Select(row => result.CrossArchitectures.Select(c => c.Rows.FirstOrDefault(r => r.Method == row.Method)).Prepend(row)
            .Select(r => r is null ? "–" : r.Accuracy.Percent()).ToList()).ToList();
        int width = Math.Max(15, Math.Max(models.Max(m => m.Length), cells.SelectMany(c => c).Max(c => c.Length)) + 2);
        w.WriteLine();
        w.WriteLine("across architectures (same sets, protocol and seeds), test accuracy (%):");
        w.WriteLine($"  {"method",-12} " + string.Concat(models.Select(m => m.PadRight(width))));
        for (int i = 0; i < result.Rows.Count; i++)
            w.WriteLine($"  {result.Rows[i].Method,-12} " + string.Concat(cells[i].Select(c => c.PadRight(width))));
    }

    private static void PrintTable(TextWriter w, Recipe recipe, PipelineResult result, string outDir)
    {
        var inv = CultureInfo.InvariantCulture;
        if (result.Rows.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"{recipe.Dataset}, IPC {recipe.Ipc}: test accuracy over {recipe.Evaluation.Nets} networks ({recipe.Evaluation.Model}, {recipe.Evaluation.Epochs}+1 epochs)");
            w.WriteLine($"  {"method",-12} {"accuracy (%)",-16} {"made in",9}  note");
            foreach (var row in result.Rows)
                w.WriteLine(string.Format(inv, "  {0,-12} {1,6:F2} ± {2,-6:F2}  {3,8:F0}s  {4}", row.Method, 100 * row.Accuracy.Mean, 100 * row.Accuracy.Std, row.MakeTime.TotalSeconds,
                                          row.Accuracy.Diverged == 0 ? row.Note : $"{row.Accuracy.DivergedCount()}; {row.Note}"));
        }
        if (result.CrossArchitectures.Count > 0) PrintCrossArchitectures(w, recipe, result);
        w.WriteLine();
        w.WriteLine("stage times: " + string.Join(", ", result.Stages.Select(s => string.Format(inv, "{0} {1:F0}s", s.Stage, s.Seconds))));
        if (result.Beta is double b)
            w.WriteLine(string.Format(inv, "window β: {0}{1} ({2})", b, result.ScoreKind is { } kind ? $" by {kind} scores" : "",
                                      recipe.Distill.Beta is null ? $"chosen on the {result.ChosenOn}" : "fixed by the recipe"));
        if (result.ChosenOn is { } on)
            w.WriteLine($"choices ({(result.Beta is null ? "" : result.ScoreKind is null ? "β, successive halving, " : "score kind, β, successive halving, ")}best iteration) made on the {on}");   // MTT alone chooses no β
        w.WriteLine(result.ReportPath is null
            ? $"done up to this command's stage; artefacts in {Path.GetFullPath(outDir)} (`ddist run` on the same recipe and folder continues to the report)"
            : $"report: {Path.GetFullPath(result.ReportPath)} (pictures beside it)");
    }
}
