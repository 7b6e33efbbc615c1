namespace DDist.Training;

/// <summary>How a <see cref="Trainer"/> trains: epochs of shuffled minibatches (the last partial batch
/// kept) with SGD. <see cref="Epochs"/> is the exact number of epochs run; protocols that "train Epoch+1
/// epochs" pass E+1 here.</summary>
public sealed record TrainOptions
{
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    public double Momentum { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>Nesterov momentum (torch.optim.SGD nesterov=True), as DeepCore trains its feature networks.</summary>
    public bool Nesterov { get; init; }
    /// <summary>GSAM over the SGD step (FTD's flat expert trajectories); null trains with SGD alone.</summary>
    public SharpnessAware? Sharpness { get; init; }
    public LrSchedule Schedule { get; init; } = LrSchedule.Constant;
    /// <summary>Applied to every training minibatch; null trains on the images as they are.</summary>
    public BatchAugmenter? Augment { get; init; }
    /// <summary>Stage name in progress reports, e.g. "expert 3".</summary>
    public string Stage { get; init; } = "train";

    public void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be ≥ 0");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be ≥ 1");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be a positive number");
        Sharpness?.Validate();
    }
}
