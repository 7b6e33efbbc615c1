using System.Globalization;
using DDist.Data;
using DDist.Distillation.Unrolled;
using DDist.Distillation.Unrolling;
using DDist.Recipes;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist distill RECIPE --method dd|sld`: DD or soft-label DD from an 'unrolled' recipe into
/// OUT/synthetic.safetensors (images in step order, learned step sizes, soft labels for sld) and OUT/distill.json
/// (accuracy of fresh networks trained with exactly the learned steps), and OUT/report.md / report.html.</summary>
internal static class UnrolledDistillCommand
{
    public static bool Handles(string method) => method is "dd" or "sld";

    /// <param name="unroll">--unroll: full or exact, overriding the recipe's unrolled.unroll; null keeps it.</param>
    public static int Run(CliContext ctx, string recipePath, string method, string? unroll = null)
    {
        InputFile.Require(recipePath, "recipe file");
        var recipe = UnrolledRecipe.Load(recipePath);
        if (unroll is not null)
        {
            if (!UnrollModes.TryParse(unroll, out var mode) || mode == UnrollMode.Tesla)
                throw new CliException($"--unroll '{unroll}': {method} takes full or exact");
            recipe = recipe with { Unrolled = recipe.Unrolled with { Unroll = UnrollModes.Name(mode) } };
        }
        var outDir = ctx.OutFolder(Path.Combine("runs", recipe.Name, method));
        // The recipe beside its results (`ddist status` reads it); a folder holding another recipe's results is refused.
        Pipeline.FolderRecipe.Claim(outDir, File.ReadAllText(recipePath), "description", "source");
        using var alone = Pipeline.LocalRunLock.Take(outDir);
        if (ctx.Threads > 0) Tensors.SetNumThreads(ctx.Threads);
        var options = recipe.ToOptions(outDir, learnLabels: method == "sld");
        ctx.Note($"{recipe.Name}: {method} on {recipe.Dataset}, {options.Model}, {options.DistillSteps}×{options.ImagesPerClassPerStep} images per class, " +
                 $"{options.StepCount} steps, gradient by {(options.UnrollUsed == UnrollMode.Full ? "full unrolling" : "exact recomputation")}; output {Path.GetFullPath(outDir)}");
        var raw = DatasetRegistry.Load(recipe.Dataset);
        var norm = DatasetRegistry.NormalizationFor(raw);
        using var train = ImageDataset.FromRaw(raw.Train, norm, Device.Cpu, raw.Name);
        using var test = ImageDataset.FromRaw(raw.Test, norm, Device.Cpu, raw.Name);
        var result = ProgressView.Run(ctx, p => new DdDistillation(train, test, norm.Name).Run(options, p, ctx.Cancel));
        using var set = result.Set;
        var report = DDist.Reporting.UnrolledReport.Write(outDir);
        var inv = CultureInfo.InvariantCulture;
        ctx.WriteResult(new
        {
            recipe = recipe.Name, method, output = Path.GetFullPath(outDir), iterations = result.Iterations, seconds = result.Elapsed.TotalSeconds,
            step0 = new { mean = result.Before.Mean, std = result.Before.Std }, learned_steps = new { mean = result.After.Mean, std = result.After.Std, diverged = result.After.Diverged },
            report = Path.GetFullPath(report),
        }, w =>
        {
            w.WriteLine(string.Format(inv, "{0} {1}: test accuracy {2:F2} ± {3:F2} % after the {4} learned steps ({5:F2} ± {6:F2} % at step 0), {7} networks{11}; {8} iterations in {9:F0}s; {10}",
                method, recipe.Dataset, 100 * result.After.Mean, 100 * result.After.Std, options.StepCount, 100 * result.Before.Mean, 100 * result.Before.Std,
                result.After.Accuracies.Length, result.Iterations, result.Elapsed.TotalSeconds, Path.GetFullPath(outDir), result.After.DivergedNote()));
            w.WriteLine($"report: {Path.GetFullPath(report)}");
        });
        return ExitCodes.Ok;
    }
}
