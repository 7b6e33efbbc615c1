using System.Text.Json.Serialization;

namespace DDist.Selection;

/// <summary>How the feature network of herding, k-center and the coverage metric trains. DeepCore trains ResNet18 for
/// 40 epochs with SGD (lr 0.1, momentum 0.9, weight decay 5e-4, Nesterov, constant lr, no augmentation). The CPU-sized
/// default here is a ConvNet for a few epochs at lr 0.01 with plain momentum; recipes set the model and epochs, and the
/// published ones DeepCore's Nesterov. This is the comparison recipe's <c>coreset</c> section as read from JSON.</summary>
public record EmbeddingSettings
{
    public string Model { get; init; } = "ConvNet";
    public int Epochs { get; init; } = 5;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public int BatchSize { get; init; } = 256;
    /// <summary>Nesterov momentum (DeepCore's EarlyTrain: `torch.optim.SGD(..., nesterov=True)`). Off when absent, as
    /// recipes written before it was offered ran, and left out of the JSON when off so their run folders still match.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool Nesterov { get; init; }

    /// <summary>Every problem of the numbers (the model is checked against the dataset by the recipe).</summary>
    public void Check(FieldErrors e)
    {
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Lr > 0, "lr", $"is {Lr}, expected > 0");
        e.Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
        e.Need(!Nesterov || Momentum > 0, "nesterov", $"is true while momentum is {Momentum} (Nesterov needs momentum > 0)");
    }
}
