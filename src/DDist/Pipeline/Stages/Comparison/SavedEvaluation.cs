using System.Text.Json.Serialization;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>A comparison cell's evaluation as eval.json keeps it; <paramref name="Diverged"/> networks trained to a
/// non-finite loss (written only when there are any; files from before it read as none).</summary>
public sealed record SavedEvaluation(double Mean, double Std, double[] Accuracies, double Seconds, string Protocol, int Epochs, int Nets,
                                     [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Diverged = 0);
