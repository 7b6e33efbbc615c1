using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>Judges a small set (selected or distilled) the way the reference code does (evaluate_synset,
/// SelMatch/MTT/DC `utils.py`): fresh networks trained on it alone, tested on the full test set. The set's images
/// must be in the test set's space (same normalisation, same ZCA). A protocol that uses the learned step size (MTT's)
/// takes it from the set here.</summary>
public static class SmallSetEvaluator
{
    public static EvalResult Evaluate(SmallSet set, ImageDataset test, EvalProtocol protocol, ulong seed,
                                      IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        NetworkEvaluation.CheckCompatible($"small set ({set.Info.Method}, {set.Info.Dataset})", set.Images, set.Labels, test);
        if (!string.Equals(set.Info.Dataset, test.Name, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"small set was made from '{set.Info.Dataset}', the test set is '{test.Name}'");
        using var scope = new TensorScope();
        var device = test.Images.Device;
        var flags = set.DistilledCount > 0 ? Tensors.FromArray(set.IsDistilled).To(device) : null;
        if (set.SoftLabels is { } soft) soft.Validate($"small set ({set.Info.Method}, {set.Info.Dataset})", set.Count, test.NumClasses);
        Tensor? targets;
        using (Tensors.NoGrad()) targets = set.SoftLabels?.Targets().To(DType.Float32, device);
        var train = new TrainingSet(set.Images.To(DType.Float32, device), set.Labels.To(DType.Int64, device), flags, targets);
        return NetworkEvaluation.Run(train, test, protocol.ForSet(set), seed, progress, ct);
    }
}
