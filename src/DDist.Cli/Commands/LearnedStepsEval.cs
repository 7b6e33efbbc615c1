using DDist.Artifacts;
using DDist.Data;
using DDist.Evaluation;

namespace DDist.Cli.Commands;

/// <summary>`ddist eval SET --protocol steps`: DD's own evaluation of a set with learned steps (fresh xavier networks
/// take exactly the T learned GD steps); --model defaults to the set's, --nets to 10.</summary>
internal static class LearnedStepsEval
{
    public static int Run(CliContext ctx, string path, SmallSet set, ImageDataset test, string? model, int? nets)
    {
        if (set.Steps is null) throw new CliException($"{path}: --protocol steps needs a set with learned steps ('step_lrs', made by `ddist distill --method dd|sld`)");
        var m = model ?? (set.Info.Parameters.TryGetValue("model", out var saved) ? saved
            : throw new CliException($"{path}: the set does not record its model; pass --model"));
        double gain = set.Info.Parameters.TryGetValue("init_gain", out var g) && double.TryParse(g, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 1.0;
        int n = nets ?? 10;
        // A known-init set's steps were learned for one starting point, which it keeps: every network starts there.
        using var initOnCpu = set.Steps.FixedInit is { } w ? Torch.Tensors.FromArray(w) : null;
        using var fixedInit = initOnCpu?.To(test.Images.Device);
        ctx.Note($"eval {path}: {set.Count} images, {set.Steps.StepCount} learned steps, {m}, {n} " +
                 (fixedInit is null ? "fresh xavier networks" : "networks from the fixed initialisation the steps were learned for (known_init)"));
        var (before, after) = LearnedStepsEvaluator.Evaluate(set, test, m, n, gain, fixedInit, ctx.Seed, ctx.Cancel);
        var json = new
        {
            set = path, method = set.Info.Method, protocol = "steps", model = m, init = fixedInit is null ? "fresh xavier" : "known (the set's step_init)",
            mean = after.Mean, std = after.Std, accuracies = after.Accuracies, diverged = after.Diverged,
            step0_mean = before.Mean, std_kind = "unbiased (as DD reports)",
        };
        if (ctx.Out is { } outPath) ctx.SaveJson(outPath, json);
        // The same figures, rounded the same way, as `ddist run` prints for this set (100·x to two places, not P2's own rounding).
        ctx.WriteResult(json, o => o.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "{0}: test accuracy {1:F2} ± {2:F2} % after the learned steps ({3:F2} ± {4:F2} % at step 0), {5} networks",
            path, 100 * after.Mean, 100 * after.Std, 100 * before.Mean, 100 * before.Std, n) + after.DivergedNote()));
        return ExitCodes.Ok;
    }
}
