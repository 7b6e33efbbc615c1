using DDist.Artifacts;

namespace DDist.Evaluation;

/// <summary>Trains fresh networks on a small set and measures them on a held-out set (the evaluation protocol and
/// target set are bound by whoever creates the delegate, e.g. <see cref="EvaluatorBinding.Bind"/> around
/// <see cref="SmallSetEvaluator.Evaluate"/>). The window search, successive halving and the best-iteration choice of
/// distillation take one, so tests can hand them a cheap stand-in.</summary>
public delegate EvalResult SmallSetEvaluation(SmallSet set, EvalBudget budget, int seed, CancellationToken ct);
