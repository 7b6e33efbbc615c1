using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Selection;

namespace DDist.Recipes;

/// <summary>Checks a recipe without touching data or training anything: names resolve (dataset, models,
/// protocol, enum-like strings), numbers are in range, and the sizes fit the dataset (IPC against the smallest
/// class, windows against class ends, expert epochs against the matching segment).</summary>
public static class RecipeValidation
{
    /// <summary>Training images of the smallest class (the official training sets); MNIST's classes are
    /// unequal.</summary>
    private static readonly Dictionary<string, int> SmallestClass = new()
    {
        ["mnist"] = 5421, ["fashion-mnist"] = 6000, ["cifar10"] = 5000, ["cifar100"] = 500, ["tiny-imagenet"] = 500,
    };

    public static List<string> Check(Recipe r)
    {
        var e = new List<string>();
        void Need(bool ok, string field, string message) { if (!ok) e.Add($"field '{field}' {message}"); }

        Need(!string.IsNullOrWhiteSpace(r.Name), "name", "is empty");
        DatasetSpec? spec = null;
        try { spec = DatasetRegistry.TryGetSpec(r.Dataset); }
        catch (ArgumentException ex) { e.Add($"field 'dataset': {ex.Message}"); }
        int? smallest = spec is not null && SmallestClass.TryGetValue(spec.Name, out var s) ? s : null;

        Need(r.Ipc >= 1, "ipc", $"is {r.Ipc}, expected ≥ 1");
        if (smallest is int min) Need(r.Ipc <= min, "ipc", $"is {r.Ipc}, larger than the smallest class of {spec!.Name} ({min} images)");

        CheckModel(e, "experts.model", r.Experts.Model, spec);
        CheckModel(e, "evaluation.model", r.Evaluation.Model, spec);
        if (r.Scores.File is null && r.Scores.Model is not null) CheckModel(e, "scores.model", r.Scores.Model, spec);

        Need(r.Experts.Count >= 1, "experts.count", $"is {r.Experts.Count}, expected ≥ 1");
        Need(r.Experts.Epochs >= 1, "experts.epochs", $"is {r.Experts.Epochs}, expected ≥ 1");
        Need(r.Experts.Lr > 0, "experts.lr", $"is {r.Experts.Lr}, expected > 0");
        Need(r.Experts.BatchSize >= 1, "experts.batchSize", $"is {r.Experts.BatchSize}, expected ≥ 1");
        Need(r.Experts.Augmentation is "none" or "dsa", "experts.augmentation", $"is '{r.Experts.Augmentation}', expected 'none' or 'dsa'");
        if (r.Experts.TrainPerClass is int tpc && smallest is int m2)
            Need(tpc >= 1 && tpc <= m2, "experts.trainPerClass", $"is {tpc}, expected 1..{m2}");

        Try(e, "scores.kind", () => ScoreKindExtensions.ParseScoreKind(r.Scores.Kind, "scores.kind"));
        if (r.Scores.File is string file)
            Need(r.ResolveScoreFile() is not null, "scores.file",
                 $"'{file}' was not found (absolute, next to the recipe, or in ${Recipe.ScoresEnvironmentVariable})");
        else
        {
            Need(r.Scores.Kind == "forgetting", "scores.kind", $"is '{r.Scores.Kind}' without 'scores.file'; only forgetting scores can be computed (C-scores need thousands of trainings)");
            Need(r.Scores.Runs >= 1, "scores.runs", $"is {r.Scores.Runs}, expected ≥ 1");
            Need(r.Scores.Epochs >= 2, "scores.epochs", $"is {r.Scores.Epochs}, expected ≥ 2 (forgetting needs consecutive presentations)");
            Need(r.Scores.Lr > 0, "scores.lr", $"is {r.Scores.Lr}, expected > 0");
        }

        Need(r.Window.Betas.Length > 0, "window.betas", "is empty");
        Need(r.Window.Betas.All(b => b is >= 0 and <= 1), "window.betas", $"holds [{string.Join(", ", r.Window.Betas)}], expected values in [0, 1]");
        Need(r.Window.Betas.Distinct().Count() == r.Window.Betas.Length, "window.betas", "repeats a value");
        Try(e, "window.offset", () => WindowOffsetMath.ParseWindowOffset(r.Window.Offset, "window.offset"));
        Try(e, "window.overflow", () => ParseOverflow(r.Window.Overflow));
        Need(r.Window.Epochs >= 1, "window.epochs", $"is {r.Window.Epochs}, expected ≥ 1");
        Need(r.Window.Nets >= 1, "window.nets", $"is {r.Window.Nets}, expected ≥ 1");
        Try(e, "window.augmentation", () => Training.Augmentation.Parse(r.Window.Augmentation));
        Need(r.Window.HalvingStartEpochs is null or >= 1, "window.halvingStartEpochs", $"is {r.Window.HalvingStartEpochs}, expected ≥ 1");

        var d = r.Distill;
        Need(d.Alpha is >= 0 and <= 1, "distill.alpha", $"is {d.Alpha}, expected a value in [0, 1]");
        Need(d.Beta is null or (>= 0 and <= 1), "distill.beta", $"is {d.Beta}, expected a value in [0, 1] or null (searched)");
        Try(e, "distill.frozenPart", () => ParseFrozenPart(d.FrozenPart));
        Try(e, "distill.selectOn", () => ParseSelectOn(d.SelectOn));
        if (d.DsaStrategy is string strategy)
        {
            Try(e, "distill.dsaStrategy", () => Augment.DsaStrategies.Parse(strategy));
            if (spec is not null && Augment.DsaStrategies.IsDigitDataset(spec.Name))
                Need(!StrategyFlips(strategy), "distill.dsaStrategy", $"is '{strategy}': {spec.Name} holds digits, which must not be mirrored (drop 'flip')");
        }
        Need(d.Iterations >= 0, "distill.iterations", $"is {d.Iterations}, expected ≥ 0");
        Need(d.SynSteps >= 1, "distill.synSteps", $"is {d.SynSteps}, expected ≥ 1");
        Need(d.ExpertEpochs >= 1, "distill.expertEpochs", $"is {d.ExpertEpochs}, expected ≥ 1");
        Need(d.MaxStartEpoch >= 1, "distill.maxStartEpoch", $"is {d.MaxStartEpoch}, expected ≥ 1");
        Need(d.MaxStartEpoch - 1 + d.ExpertEpochs <= r.Experts.Epochs, "distill.maxStartEpoch",
             $"is {d.MaxStartEpoch} with expertEpochs {d.ExpertEpochs}: needs expert snapshot {d.MaxStartEpoch - 1 + d.ExpertEpochs}, experts.epochs is {r.Experts.Epochs}");
        Need(d.BatchSyn is null or >= 1, "distill.batchSyn", $"is {d.BatchSyn}, expected ≥ 1 or null");
        if (d.Unroll is not null) Try(e, "distill.unroll", () => DDist.Distillation.Unrolling.UnrollModes.Parse(d.Unroll, "distill.unroll"));
        Need(d.LrImg > 0, "distill.lrImg", $"is {d.LrImg}, expected > 0");
        Need(d.LrLr >= 0, "distill.lrLr", $"is {d.LrLr}, expected ≥ 0");
        Need(d.LrInit > 0, "distill.lrInit", $"is {d.LrInit}, expected > 0");
        Need(d.CheckpointEvery >= 0, "distill.checkpointEvery", $"is {d.CheckpointEvery}, expected ≥ 0");
        Need(d.EvalIterations.All(i => i >= 0 && i <= d.Iterations), "distill.evalIterations", $"holds values outside [0, {d.Iterations}]");
        Need(d.ValidationPerClass >= 1, "distill.validationPerClass", $"is {d.ValidationPerClass}, expected ≥ 1");
        Need(d.SelectionEpochs >= 1 && d.SelectionNets >= 1, "distill.selectionEpochs", $"epochs {d.SelectionEpochs} / nets {d.SelectionNets}: expected ≥ 1");
        if (smallest is int m3 && d.SelectOn == "validation")
            Need(r.Ipc + d.ValidationPerClass <= m3, "distill.validationPerClass", $"is {d.ValidationPerClass}: with IPC {r.Ipc} it needs more than the {m3} images of the smallest class");

        // With a validation split, each class's windows are cut from what is left of it.
        if (smallest is int m4 && r.Window.Offset == "fraction-of-class" && r.Window.Overflow == "reject")
        {
            int left = d.SelectOn == "validation" ? m4 - d.ValidationPerClass : m4;
            foreach (var beta in r.Window.Betas.Concat(d.Beta is double b0 ? [b0] : []))
                Need(WindowOffsetMath.FloorProduct(left, beta) + r.Ipc <= left, "window.betas",
                     $"holds β = {beta}: with fraction-of-class the window [{WindowOffsetMath.FloorProduct(left, beta)}, +{r.Ipc}) runs past the smallest class ({left} images{(left < m4 ? " outside the validation split" : "")}); lower β or set window.overflow to 'shift-back'");
        }

        Try(e, "evaluation.protocol", () => EvalProtocol.Preset(r.Evaluation.Protocol));
        Need(r.Evaluation.Epochs >= 1, "evaluation.epochs", $"is {r.Evaluation.Epochs}, expected ≥ 1");
        Need(r.Evaluation.Nets >= 1, "evaluation.nets", $"is {r.Evaluation.Nets}, expected ≥ 1");
        if (r.Evaluation.Augmentation is string a) Try(e, "evaluation.augmentation", () => Training.Augmentation.Parse(a));

        string[] known = ["random", "window", "mtt", "selmatch"];
        foreach (var c in r.Compare)
            Need(known.Contains(c), "compare", $"holds '{c}', expected some of {string.Join(", ", known)}");
        return e;
    }

    private static bool StrategyFlips(string strategy)
    {
        try { return Augment.DsaStrategies.Flips(strategy); }
        catch (ArgumentException) { return false; }   // reported by the parse check
    }

    private static void CheckModel(List<string> errors, string field, string model, DatasetSpec? spec)
    {
        try { ModelZoo.Create(model, spec?.Channels ?? 3, spec?.NumClasses ?? 10, spec?.Height ?? 32, spec?.Width ?? 32); }
        catch (ArgumentException ex) { errors.Add($"field '{field}': {ex.Message}"); }
    }

    private static void Try(List<string> errors, string field, Action parse)
    {
        try { parse(); }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FormatException)
        {
            errors.Add(ex.Message.Contains($"'{field}'") ? ex.Message : $"field '{field}': {ex.Message}");
        }
    }

    public static WindowOverflow ParseOverflow(string text) => text switch
    {
        "reject" => WindowOverflow.Reject,
        "shift-back" => WindowOverflow.ShiftBack,
        _ => throw new ArgumentException($"field 'window.overflow' is '{text}', expected 'reject' or 'shift-back'"),
    };

    public static FrozenPart ParseFrozenPart(string text) => text switch
    {
        "harder" => FrozenPart.Harder,
        "easier" => FrozenPart.Easier,
        _ => throw new ArgumentException($"field 'distill.frozenPart' is '{text}', expected 'harder' or 'easier'"),
    };

    public static SelectOn ParseSelectOn(string text) => text switch
    {
        "validation" => SelectOn.Validation,
        "test" => SelectOn.Test,
        _ => throw new ArgumentException($"field 'distill.selectOn' is '{text}', expected 'validation' or 'test'"),
    };
}
