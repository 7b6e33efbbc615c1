using DDist.Data;

namespace DDist.Evaluation;

/// <summary>Binds <see cref="SmallSetEvaluator"/> to a target set and protocol as a <see cref="SmallSetEvaluation"/>:
/// the budget overrides the protocol's epochs and network count.</summary>
public static class EvaluatorBinding
{
    /// <summary>The metric key of a network's accuracy on a validation split, where the evaluator reports "test_acc".</summary>
    public const string ValidationAccuracyKey = "val_acc";

    /// <param name="useLearnedLr">Overrides the protocol's <see cref="EvalProtocol.UseLearnedLr"/> (null keeps it; the
    /// evaluator then trains with the set's learned step size exactly when the protocol says so, MTT's).</param>
    /// <param name="onValidation">The target is a validation split: the networks' accuracies are reported as such, so a
    /// progress line never calls a choice's score a test accuracy.</param>
    public static SmallSetEvaluation Bind(ImageDataset target, EvalProtocol protocol, bool? useLearnedLr = null,
                                          IProgress<ProgressReport>? progress = null, bool onValidation = false)
    {
        var reports = onValidation ? OnValidationSplit(progress) : progress;
        return (set, budget, seed, ct) =>
        {
            var p = protocol with { Epochs = budget.Epochs, Networks = budget.Nets, UseLearnedLr = useLearnedLr ?? protocol.UseLearnedLr, OnlyNetwork = budget.OnlyNetwork };
            return SmallSetEvaluator.Evaluate(set, target, p, (ulong)seed, reports, ct);
        };
    }

    /// <summary><paramref name="progress"/> for networks scored on a validation split: their accuracy is reported as
    /// <see cref="ValidationAccuracyKey"/>, not as a test accuracy.</summary>
    public static IProgress<ProgressReport>? OnValidationSplit(IProgress<ProgressReport>? progress) =>
        progress is null ? null : new OnValidation(progress);

    private sealed class OnValidation(IProgress<ProgressReport> inner) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport r) => inner.Report(r.Metrics is { } m && m.ContainsKey("test_acc")
            ? r with { Metrics = m.ToDictionary(kv => kv.Key == "test_acc" ? ValidationAccuracyKey : kv.Key, kv => kv.Value) }
            : r);
    }
}
