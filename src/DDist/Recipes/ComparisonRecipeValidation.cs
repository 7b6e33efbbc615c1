using System.Globalization;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;

namespace DDist.Recipes;

/// <summary>Checks a comparison recipe without touching data: names resolve, numbers are in range, every IPC fits
/// the smallest class (of the subset, when one is set) and DC/DSA have loops for every IPC.</summary>
public static class ComparisonRecipeValidation
{
    private static readonly Dictionary<string, int> SmallestClass = new()
    {
        ["mnist"] = 5421, ["fashion-mnist"] = 6000, ["cifar10"] = 5000, ["cifar100"] = 500, ["tiny-imagenet"] = 500,
    };

    public static List<string> Check(ComparisonRecipe r)
    {
        var e = new List<string>();
        void Need(bool ok, string field, string message) { if (!ok) e.Add($"field '{field}' {message}"); }

        Need(r.Kind == ComparisonRecipe.KindName, "kind", $"is '{r.Kind}', expected '{ComparisonRecipe.KindName}'");
        Need(!string.IsNullOrWhiteSpace(r.Name), "name", "is empty");
        DatasetSpec? spec = null;
        try { spec = DatasetRegistry.TryGetSpec(r.Dataset); }
        catch (ArgumentException ex) { e.Add($"field 'dataset': {ex.Message}"); }
        int? smallest = spec is not null && SmallestClass.TryGetValue(spec.Name, out var s) ? s : null;
        Need(r.TrainPerClass is null or >= 1, "trainPerClass", $"is {r.TrainPerClass}, expected ≥ 1 or null (all)");
        Need(r.TestPerClass is null or >= 1, "testPerClass", $"is {r.TestPerClass}, expected ≥ 1 or null (all)");
        if (smallest is int m0 && r.TrainPerClass is int tpc0) Need(tpc0 <= m0, "trainPerClass", $"is {tpc0}, larger than the smallest class of {spec!.Name} ({m0} images)");
        int? limit = r.TrainPerClass is int tpc && (smallest is null || tpc < smallest) ? tpc : smallest;

        Need(r.Ipcs.Length > 0, "ipcs", "is empty");
        Need(r.Ipcs.Distinct().Count() == r.Ipcs.Length, "ipcs", "repeats a value");
        foreach (var ipc in r.Ipcs)
        {
            Need(ipc >= 1, "ipcs", $"holds {ipc}, expected ≥ 1");
            if (limit is int l)
                Need(ipc <= l, "ipcs", $"holds {ipc}, larger than the smallest class ({l} images{(r.TrainPerClass is null ? "" : " with trainPerClass")})");
        }

        Need(r.Methods.Length > 0, "methods", "is empty");
        Need(r.Methods.Distinct().Count() == r.Methods.Length, "methods", "repeats a value");
        foreach (var m in r.Methods)
        {
            if (ComparisonRecipe.ExpertMethods.Contains(m))
                e.Add($"field 'methods' holds '{m}', which needs expert trajectories; a comparison recipe trains none (run it with a SelMatch recipe: `ddist distill RECIPE --method {m}`)");
            else Need(ComparisonRecipe.KnownMethods.Contains(m), "methods", $"holds '{m}', expected some of {string.Join(", ", ComparisonRecipe.KnownMethods)}");
        }

        foreach (var (name, g) in new[] { ("dc", r.Dc), ("dsa", r.Dsa) })
        {
            if (!r.Methods.Contains(name)) continue;
            CheckModel(e, $"{name}.model", g.Model, spec);
            Need(g.Iterations >= 0, $"{name}.iterations", $"is {g.Iterations}, expected ≥ 0");
            Need(g.LrImg > 0, $"{name}.lrImg", $"is {g.LrImg}, expected > 0");
            Need(g.LrNet > 0, $"{name}.lrNet", $"is {g.LrNet}, expected > 0");
            Need(g.BatchReal >= 1, $"{name}.batchReal", $"is {g.BatchReal}, expected ≥ 1");
            Need(g.BatchTrain >= 1, $"{name}.batchTrain", $"is {g.BatchTrain}, expected ≥ 1");
            Need(g.OuterLoop is null or >= 1, $"{name}.outerLoop", $"is {g.OuterLoop}, expected ≥ 1 or null (the reference's table)");
            Need(g.InnerLoop is null or >= 0, $"{name}.innerLoop", $"is {g.InnerLoop}, expected ≥ 0 or null (the reference's table)");
            if (g.Init is string init) Try(e, $"{name}.init", () => SyntheticInit.Parse(init, $"{name}.init"));
            Try(e, $"{name}.metric", () => GradientMatchingDistance.Parse(g.Metric, $"{name}.metric"));
            if (g.OuterLoop is null || g.InnerLoop is null)
                foreach (var ipc in r.Ipcs.Where(i => GradientMatchingOptions.Loops(i) is null))
                    e.Add($"field '{name}.outerLoop' is not set, and the reference defines no outer/inner loops for IPC {ipc} (only 1, 10, 20, 30, 40, 50); set '{name}.outerLoop' and '{name}.innerLoop'");
            if (g.Strategy is string st) Try(e, $"{name}.strategy", () => Augment.DsaStrategies.Parse(st));
        }
        if (r.Methods.Contains("dm"))
        {
            CheckModel(e, "dm.model", r.Dm.Model, spec);
            Need(r.Dm.Iterations >= 0, "dm.iterations", $"is {r.Dm.Iterations}, expected ≥ 0");
            Need(r.Dm.LrImg > 0, "dm.lrImg", $"is {r.Dm.LrImg}, expected > 0");
            Need(r.Dm.BatchReal >= 1, "dm.batchReal", $"is {r.Dm.BatchReal}, expected ≥ 1");
            Try(e, "dm.init", () => SyntheticInit.Parse(r.Dm.Init, "dm.init"));
            if (r.Dm.Strategy is string st) Try(e, "dm.strategy", () => Augment.DsaStrategies.Parse(st));
        }
        bool needsEmbedding = r.Methods.Any(m => m is "herding" or "herding-argmax" or "kcenter") || r.Coverage.ReferencePerClass > 0;
        if (needsEmbedding)
        {
            CheckModel(e, "coreset.model", r.Coreset.Model, spec);
            Need(r.Coreset.Epochs >= 1, "coreset.epochs", $"is {r.Coreset.Epochs}, expected ≥ 1");
            Need(r.Coreset.Lr > 0, "coreset.lr", $"is {r.Coreset.Lr}, expected > 0");
            Need(r.Coreset.BatchSize >= 1, "coreset.batchSize", $"is {r.Coreset.BatchSize}, expected ≥ 1");
            Need(!r.Coreset.Nesterov || r.Coreset.Momentum > 0, "coreset.nesterov", "is true while coreset.momentum is 0 (Nesterov needs momentum > 0)");
        }
        if (r.Methods.Contains("forgetting"))
        {
            if (r.Forgetting.Model is string fm) CheckModel(e, "forgetting.model", fm, spec);
            Need(r.Forgetting.Runs >= 1, "forgetting.runs", $"is {r.Forgetting.Runs}, expected ≥ 1");
            Need(r.Forgetting.Epochs >= 2, "forgetting.epochs", $"is {r.Forgetting.Epochs}, expected ≥ 2 (forgetting needs consecutive presentations)");
            Need(r.Forgetting.Lr > 0, "forgetting.lr", $"is {r.Forgetting.Lr}, expected > 0");
            Need(r.Forgetting.BatchSize >= 1, "forgetting.batchSize", $"is {r.Forgetting.BatchSize}, expected ≥ 1");
            Need(!r.Forgetting.Nesterov || r.Forgetting.Momentum > 0, "forgetting.nesterov", "is true while forgetting.momentum is 0 (Nesterov needs momentum > 0)");
        }
        Need(r.Coverage.ReferencePerClass is 0 or >= 2, "coverage.referencePerClass", $"is {r.Coverage.ReferencePerClass}, expected 0 (off) or ≥ 2");

        Try(e, "evaluation.protocol", () => EvalProtocol.Preset(r.Evaluation.Protocol));
        CheckModel(e, "evaluation.model", r.Evaluation.Model, spec);
        Need(r.Evaluation.Epochs >= 1, "evaluation.epochs", $"is {r.Evaluation.Epochs}, expected ≥ 1");
        Need(r.Evaluation.Nets >= 1, "evaluation.nets", $"is {r.Evaluation.Nets}, expected ≥ 1");
        Need(r.Evaluation.Lr is null or > 0, "evaluation.lr", $"is {r.Evaluation.Lr}, expected > 0");
        if (r.Evaluation.Augmentation is string a) Try(e, "evaluation.augmentation", () => Training.Augmentation.Parse(a));
        foreach (var (key, epochs) in r.Evaluation.EpochsByIpc ?? new())
        {
            Need(int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var ipc) && r.Ipcs.Contains(ipc), "evaluation.epochsByIpc",
                 $"has key '{key}', expected one of the recipe's ipcs ({string.Join(", ", r.Ipcs)})");
            Need(epochs >= 1, "evaluation.epochsByIpc", $"gives {epochs} epochs for IPC {key}, expected ≥ 1");
        }
        return e;
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
}
