using System.Globalization;
using DDist.Pipeline;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist distill RECIPE --method datm|tesla`: soft-label trajectory matching from a soft-label recipe into
/// OUT/METHOD/ (synthetic.safetensors with the label logits, loss curve, result.json with the test accuracy) and
/// OUT/report.md / report.html.</summary>
internal static class SoftLabelDistillCommand
{
    public static bool Handles(string method) => method is "datm" or "tesla";

    /// <param name="unroll">--unroll: full, exact or tesla, overriding the recipe's matching.unroll; null keeps it.</param>
    public static int Run(CliContext ctx, string recipePath, string method, string? unroll = null)
    {
        InputFile.Require(recipePath, "recipe file");
        var recipe = SoftLabelRecipe.Load(recipePath);
        if (unroll is not null)
        {
            if (!DDist.Distillation.Unrolling.UnrollModes.TryParse(unroll, out var mode))
                throw new CliException($"--unroll '{unroll}': expected full, exact or tesla");
            recipe = recipe with { Matching = recipe.Matching with { Unroll = DDist.Distillation.Unrolling.UnrollModes.Name(mode) } };
        }
        if (recipe.Method != method)
            throw new CliException($"--method '{method}': {recipePath} is a '{recipe.Method}' recipe (field 'method')");
        var outDir = ctx.OutFolder(Path.Combine("runs", recipe.Name));
        // The recipe beside its results (`ddist status` reads it); a folder holding another recipe's results is refused.
        Pipeline.FolderRecipe.Claim(outDir, File.ReadAllText(recipePath), "description", "source");
        using var alone = Pipeline.LocalRunLock.Take(outDir);
        if (ctx.Threads > 0) Torch.Tensors.SetNumThreads(ctx.Threads);
        ctx.Note($"{recipe.Name}: {method} on {recipe.Dataset}, IPC {recipe.Ipc}; output {Path.GetFullPath(outDir)}");
        Action<string>? log = Console.IsErrorRedirected || !ReferenceEquals(ctx.Error, Console.Error) ? ctx.Note : null;
        var outcome = ProgressView.Run(ctx, p => new SoftLabelRunner(recipe, outDir, p, log).Run(ctx.Cancel));
        ctx.WriteResult(new
        {
            recipe = recipe.Name, method, set = Path.GetFullPath(outcome.SetPath), mean = outcome.Test.Mean, std = outcome.Test.Std, diverged = outcome.Test.Diverged,
            updates = outcome.Distilled.Updates, skipped = outcome.Distilled.Skipped, kept_iteration = outcome.Distilled.KeptIteration,
            report = Path.GetFullPath(outcome.ReportPath),
        }, w =>
        {
            w.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} {1} IPC {2}: test accuracy {3:F2} ± {4:F2} % ({5} updates, {6} skipped over the threshold; iteration {7} kept); {8}",
                method, recipe.Dataset, recipe.Ipc, 100 * outcome.Test.Mean, 100 * outcome.Test.Std, outcome.Distilled.Updates, outcome.Distilled.Skipped,
                outcome.Distilled.KeptIteration, Path.GetFullPath(outcome.SetPath)) + outcome.Test.DivergedNote());
            w.WriteLine($"report: {Path.GetFullPath(outcome.ReportPath)}");
        });
        return ExitCodes.Ok;
    }
}
