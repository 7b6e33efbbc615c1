using DDist.Augment;

namespace DDist.Training.Experts;

/// <summary>How a set of expert trajectories is trained (MTT/SelMatch `buffer.py`). Everything here is recorded in
/// each expert's metadata; a later run into the same directory must ask for the same values.</summary>
public sealed record ExpertOptions
{
    /// <summary>Model name as understood by ModelZoo.Create, e.g. "ConvNetBN".</summary>
    public required string Model { get; init; }
    public int NumExperts { get; init; } = 100;
    public int Epochs { get; init; } = 50;
    public double LearningRate { get; init; } = 0.01;
    public double Momentum { get; init; }
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 256;
    /// <summary>None or Dsa (non-Siamese DiffAugment with <see cref="DsaStrategy"/>, MTT's default).</summary>
    public AugMode Augmentation { get; init; } = AugMode.None;
    public string DsaStrategy { get; init; } = DsaStrategies.Default;
    /// <summary>MTT's --decay: lr ×0.1 after epoch ⌊E/2⌋+1 with a fresh optimiser.</summary>
    public bool Decay { get; init; }
    /// <summary>GSAM over the SGD step, as FTD's and DATM's `buffer_FTD.py` train their experts; null = plain SGD (MTT, SelMatch).</summary>
    public SharpnessAware? Sharpness { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Batch size for the per-epoch test accuracy (not recorded: it does not change results).</summary>
    public int TestBatchSize { get; init; } = 256;

    /// <summary>SelMatch's buffers: ConvNetBN (ConvNetD4BN for 64×64 data), no augmentation in effect,
    /// plain SGD lr 0.01, batch 256, 100 epochs, 100 experts.</summary>
    public static ExpertOptions Sel(int imageSize = 32) => new()
    {
        Model = imageSize >= 64 ? "ConvNetD4BN" : "ConvNetBN", Epochs = 100, Augmentation = AugMode.None,
    };

    /// <summary>MTT's buffers: ConvNet (ConvNetD4 for 64×64), DSA, plain SGD lr 0.01, batch 256, 50 epochs, 100 experts.</summary>
    public static ExpertOptions Mtt(int imageSize = 32) => new()
    {
        Model = imageSize >= 64 ? "ConvNetD4" : "ConvNet", Epochs = 50, Augmentation = AugMode.Dsa,
    };

    /// <summary>DATM's buffers (its README's `buffer_FTD.py` command): MTT's, trained 100 epochs with GSAM (ρ 0.01,
    /// α 0.3, adaptive) over the SGD step, FTD's flat trajectories.</summary>
    public static ExpertOptions Datm(int imageSize = 32) => Mtt(imageSize) with
    {
        Epochs = 100, Sharpness = new SharpnessAware { Rho = 0.01, Alpha = 0.3 },
    };

    public static ExpertOptions Preset(string name, int imageSize) => name.ToLowerInvariant() switch
    {
        "sel" => Sel(imageSize),
        "mtt" => Mtt(imageSize),
        "datm" => Datm(imageSize),
        _ => throw new ArgumentException($"unknown expert preset '{name}', expected sel, mtt or datm"),
    };

    public void Validate()
    {
        if (NumExperts < 1) throw new ArgumentOutOfRangeException(nameof(NumExperts), NumExperts, "need at least one expert");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "experts need at least one epoch");
        if (Augmentation is not (AugMode.None or AugMode.Dsa))
            throw new ArgumentException($"expert augmentation '{Training.Augmentation.Name(Augmentation)}': experts train with none or dsa", nameof(Augmentation));
        ToTrainOptions("validate", null).Validate();   // the learning rate, batch size and GSAM's settings
    }

    public TrainOptions ToTrainOptions(string stage, BatchAugmenter? augment) => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, Momentum = Momentum, WeightDecay = WeightDecay,
        Schedule = Decay ? LrSchedule.StepAfterHalf(Epochs) : LrSchedule.Constant, Augment = augment, Stage = stage, Sharpness = Sharpness,
    };
}
