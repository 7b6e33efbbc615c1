using DDist.Data;

namespace DDist.Evaluation;

/// <summary>Binds <see cref="SmallSetEvaluator"/> to a target set and protocol as a <see cref="SmallSetEvaluation"/>:
/// the budget overrides the protocol's epochs and network count.</summary>
public static class EvaluatorBinding
{
    /// <param name="useLearnedLr">Overrides the protocol's <see cref="EvalProtocol.UseLearnedLr"/> (null keeps it; the
    /// evaluator then trains with the set's learned step size exactly when the protocol says so, MTT's).</param>
    public static SmallSetEvaluation Bind(ImageDataset target, EvalProtocol protocol, bool? useLearnedLr = null,
                                          IProgress<ProgressReport>? progress = null) =>
        (set, budget, seed, ct) =>
        {
            var p = protocol with { Epochs = budget.Epochs, Networks = budget.Nets, UseLearnedLr = useLearnedLr ?? protocol.UseLearnedLr, OnlyNetwork = budget.OnlyNetwork };
            return SmallSetEvaluator.Evaluate(set, target, p, (ulong)seed, progress, ct);
        };
}
