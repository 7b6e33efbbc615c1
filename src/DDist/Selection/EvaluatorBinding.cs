using DDist.Data;
using DDist.Evaluation;

namespace DDist.Selection;

/// <summary>Binds <see cref="SmallSetEvaluator"/> to a target set and protocol as a <see cref="SmallSetEvaluation"/>:
/// the budget overrides the protocol's epochs and network count.</summary>
public static class EvaluatorBinding
{
    /// <param name="useLearnedLr">Train with the set's learned step size when it has one (MTT's protocol, §8.2).</param>
    public static SmallSetEvaluation Bind(ImageDataset target, EvalProtocol protocol, bool useLearnedLr = false,
                                          IProgress<ProgressReport>? progress = null) =>
        (set, budget, seed, ct) =>
        {
            var p = protocol with { Epochs = budget.Epochs, Networks = budget.Nets, OnlyNetwork = budget.OnlyNetwork };
            if (useLearnedLr && set.LearnedLr is double lr && lr > 0) p = p with { LearningRate = lr };
            var r = SmallSetEvaluator.Evaluate(set, target, p, (ulong)seed, progress, ct);
            return new AccuracyEstimate(r.Mean, r.Std, r.Accuracies);
        };
}
