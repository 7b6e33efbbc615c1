namespace DDist.Training.Experts;

/// <summary>The training data an expert saw, as recorded in its metadata: a distillation run must feed its
/// synthetic images in the same space (same normalisation, same ZCA) for the trajectories to mean anything.</summary>
public sealed record ExpertDataInfo(string Dataset, string Normalization, bool Zca, int TrainCount, int Channels, int Height, int Width, int NumClasses);
