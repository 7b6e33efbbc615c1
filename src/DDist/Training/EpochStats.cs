namespace DDist.Training;

/// <summary>One finished training epoch: mean minibatch loss and accuracy over the (augmented) training
/// batches, weighted by batch size, the learning rate it ran at, and its wall time.</summary>
public sealed record EpochStats(int Epoch, double Loss, double Accuracy, double LearningRate, TimeSpan Elapsed);
