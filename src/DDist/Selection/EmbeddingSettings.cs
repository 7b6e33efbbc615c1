namespace DDist.Selection;

/// <summary>How the feature network of herding, k-center and the coverage metric trains. DeepCore trains ResNet18 for
/// 40 epochs with SGD (lr 0.1, momentum 0.9, weight decay 5e-4, Nesterov, constant lr, no augmentation). The CPU-sized
/// default here is a ConvNet for a few epochs at lr 0.01 with plain momentum (our SGD has no Nesterov); recipes set
/// the model and epochs. This is the comparison recipe's <c>coreset</c> section as read from JSON.</summary>
public record EmbeddingSettings
{
    public string Model { get; init; } = "ConvNet";
    public int Epochs { get; init; } = 5;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public int BatchSize { get; init; } = 256;

    /// <summary>Every problem of the numbers (the model is checked against the dataset by the recipe).</summary>
    public void Check(FieldErrors e)
    {
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Lr > 0, "lr", $"is {Lr}, expected > 0");
        e.Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
    }
}
