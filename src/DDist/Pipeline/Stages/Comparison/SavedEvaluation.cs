namespace DDist.Pipeline.Stages.Comparison;

/// <summary>A comparison cell's evaluation as eval.json keeps it.</summary>
public sealed record SavedEvaluation(double Mean, double Std, double[] Accuracies, double Seconds, string Protocol, int Epochs, int Nets);
