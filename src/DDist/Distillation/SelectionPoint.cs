namespace DDist.Distillation;

/// <summary>One evaluation of the set during a distillation (at distill.evalIterations, on the selection split): what
/// the best-iteration choice compared, kept so a run shows how accuracy moved with the iterations (MTT logs the same
/// evaluations to wandb), and how many of its networks diverged at the set's learned step size.</summary>
public sealed record SelectionPoint(int Iteration, double Mean, double Std, int Diverged = 0);
