using System.Text.Json;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Evaluation;
using DDist.Models;
using DDist.Pipeline.Stages;
using DDist.Recipes;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training.Experts;

namespace DDist.Pipeline;

/// <summary>DATM or TESLA-label distillation from a <see cref="SoftLabelRecipe"/>: data → experts (trained into
/// OUT/experts when missing; resumes) → initial images (DATM: predicted correctly by the experts; or random real) →
/// soft-label trajectory matching, keeping the best of the sets evaluated at matching.evalIterations on a validation
/// split held out of the initial images (or on the test set with selectOn "test", DATM's own protocol) → evaluation
/// of fresh networks trained on the soft labels (test set, reported only) → report.md / report.html.</summary>
public sealed class SoftLabelRunner(SoftLabelRecipe recipe, string outDir, IProgress<ProgressReport>? progress = null, Action<string>? log = null)
{
    public sealed record Outcome(SoftLabelMatchingResult Distilled, EvalResult Test, string SetPath, string ReportPath);

    public Outcome Run(CancellationToken ct = default)
    {
        var r = recipe;
        var raw = DatasetRegistry.Load(r.Dataset);
        var smallest = raw.Train.ClassCounts().Min();
        if (r.Ipc > smallest)
            throw new ArgumentException($"field 'ipc' is {r.Ipc}, larger than the smallest class of {raw.Name} ({smallest} images)");
        // Normalised, or ZCA-whitened as DATM's configs (kornia ZCAWhitening, eps 0.1, fitted on the whole training set's
        // [0,1] pixels before anything else), the transform kept in the folder as a SelMatch run keeps it.
        using var data = RunData.From(raw, r.Zca, Path.Combine(outDir, RunData.ZcaFile), Device.Cpu, log);
        var (train, test, space) = (data.Train, data.Test, data.Space);
        INetwork Net(string model) => ModelZoo.Create(model, train.Channels, train.NumClasses, train.Height, train.Width);

        var expertDir = Path.Combine(outDir, "experts");
        log?.Invoke($"experts → {expertDir}");
        using (var subset = r.Experts.TrainPerClass is int per
                   ? data.Prepare(raw.Train.Subset(SubsetSampler.ClassBalanced(raw.Train.Labels, raw.NumClasses, per, r.Seed)), Device.Cpu)
                   : null)
        {
            var images = subset ?? train;
            var info = new ExpertDataInfo(raw.Name, space, data.Zca is not null, images.Count, train.Channels, train.Height, train.Width, train.NumClasses);
            new ExpertTrainer(Net(r.Experts.Model), r.ToExpertOptions(), info).Train(expertDir, images, null, ShardSpec.All, progress, ct);
        }
        var student = Net(r.Experts.Model);
        var experts = ExpertStoreTrajectories.Open(expertDir, student, space);

        // Carved only when an iteration is chosen on it: a recipe without evaluations starts from the images it always did.
        var (validation, heldOut) = r.CarvesValidation
            ? ValidationSplit.Carve(train, r.Matching.ValidationPerClass, new HashSet<long>(), r.Seed + 1)
            : ((ImageDataset?)null, Array.Empty<int>());
        using var validationSet = validation;
        var exclude = validation is null ? null : heldOut.ToHashSet();
        if (validation is not null)
            ValidationSplit.Record(Path.Combine(outDir, "validation.json"), $"validation split ({validation.Count} training images, " +
                                   $"{r.Matching.ValidationPerClass} per class, held out of the initial images)", r.Matching.ValidationPerClass, r.Seed + 1, heldOut);

        var methodDir = Path.Combine(outDir, r.Method);
        using var syn = r.Matching.Init == "predicted-correctly" ? PredictedCorrectly(student, experts, train, exclude) : RandomReal(train, space, exclude);
        var dsa = Dsa.ForStudent(r.Matching.Dsa, r.DsaStrategy);
        log?.Invoke($"{r.Method}: {r.Matching.Iterations} iterations → {methodDir}");
        var options = r.ToMatchingOptions(methodDir);
        // The best iteration is judged with the final evaluation's protocol (model, optimiser, augmentation, the set's
        // learned step size where the protocol trains with it) at the selection budget.
        var choose = options.EvalIterations.Count == 0 ? null : EvaluatorBinding.Bind(validation ?? test, r.ToEvalProtocol(), progress: progress, onValidation: validation is not null);
        var distilled = new SoftLabelMatching(student, experts, syn, space, dsa, choose).Run(options, r.ToSoftLabelOptions(), ct, progress);
        using var set = distilled.Set;
        if (distilled.SelectionCurve.Count > 0)
            log?.Invoke($"{r.Method} on the {(validation is null ? "test set (reference protocol)" : "validation split")}: {SelectionPoint.Summary(distilled.SelectionCurve, distilled.KeptIteration)}");

        // MTT / DATM / TESLA evaluate with the learned step size as the network lr (DATM `evaluate_synset`) unless the
        // recipe states one: the protocol's own rule, resolved here only so that result.json records the lr used.
        var protocol = r.ToEvalProtocol().ForSet(set);
        log?.Invoke($"evaluate {r.Method}: {protocol.Networks} × {protocol.Model}, {protocol.Epochs}+1 epochs on the soft labels");
        // Network by network into METHOD/eval/ (an interrupted evaluation resumes at the network it was in).
        var acc = NetworkResults.EvaluateSet(Path.Combine(methodDir, "eval"), r.Method, set, test, protocol, (ulong)r.Seed + 100, progress, ct);
        var setPath = Path.Combine(methodDir, "synthetic.safetensors");
        AtomicFile.WriteAllText(Path.Combine(methodDir, "result.json"), JsonSerializer.Serialize(new
        {
            recipe = r.Name, method = r.Method, set = setPath, test_mean = acc.Mean, test_std = acc.Std, accuracies = acc.Accuracies, diverged = acc.Diverged,
            protocol = protocol.Name, lr = protocol.LearningRate, updates = distilled.Updates, skipped = distilled.Skipped,
            labels_without_a_correct_expert = distilled.UncoveredLabels, kept_iteration = distilled.KeptIteration,
            note = distilled.SelectionCurve.Count > 0 && validation is null
                ? $"test accuracy; the iteration kept ({distilled.KeptIteration}) was also chosen on the test set (selectOn \"test\", DATM's reference protocol)"
                : distilled.SelectionCurve.Count > 0 ? $"test accuracy, reported only (iteration {distilled.KeptIteration} was chosen on the validation split)"
                : "test accuracy, reported only (nothing was chosen on it)",
        }, new JsonSerializerOptions { WriteIndented = true }));
        var report = Reporting.SoftLabelReport.Write(outDir);
        log?.Invoke($"report → {report}");
        return new Outcome(distilled, acc, setPath, report);
    }

    /// <summary>DATM's start: images every expert's final network predicts correctly, drawn per class.</summary>
    private SyntheticSet PredictedCorrectly(INetwork student, ExpertStoreTrajectories experts, ImageDataset train, IReadOnlySet<int>? exclude)
    {
        var finals = Enumerable.Range(0, experts.ExpertCount).Select(e => experts.Read(e, experts.EpochCount).DetachFromScope()).ToList();
        try
        {
            var perClass = ExpertLabels.PredictedCorrectly(student, finals, train, recipe.Ipc, new Random(recipe.Seed), exclude);
            return SyntheticSet.FromIndices(train, perClass, perClass.Select(_ => Array.Empty<int>()).ToArray(), recipe.Ipc);
        }
        finally { foreach (var f in finals) f.Dispose(); }
    }

    /// <summary>MTT's and TESLA's start: random real images of each class.</summary>
    private SyntheticSet RandomReal(ImageDataset train, string space, IReadOnlySet<int>? exclude)
    {
        using var random = RandomSelection.Select(train, recipe.Ipc, (ulong)recipe.Seed, space, exclude);
        return SyntheticSet.FromRandom(train, random, recipe.Ipc);
    }
}
