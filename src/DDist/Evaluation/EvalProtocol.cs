using DDist.Artifacts;
using DDist.Augment;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>How a small set is judged (the reference code's evaluate_synset, SelMatch/MTT/DC `utils.py`): train
/// <see cref="Networks"/> fresh networks on it, each for <see cref="Epochs"/>+1 epochs (the reference's
/// `range(Epoch+1)`), with SGD (momentum 0.9, weight decay 5e-4), then measure top-1 accuracy on the full test set in
/// eval mode.</summary>
public sealed record EvalProtocol
{
    /// <summary>"sel", "mtt", "dc", "whole" or "custom"; for logs and result files.</summary>
    public required string Name { get; init; }
    public required string Model { get; init; }
    /// <summary>The reference's Epoch: training runs Epoch+1 epochs and schedules are defined over Epoch.</summary>
    public required int Epochs { get; init; }
    public required double LearningRate { get; init; }
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public required int BatchSize { get; init; }
    public required LrScheduleKind Schedule { get; init; }
    public required AugMode Augmentation { get; init; }
    public AugmentOptions AugmentOptions { get; init; } = new();
    public int Networks { get; init; } = 5;
    /// <summary>Train only network k of <see cref="Networks"/> (same seed as in the full evaluation), for splitting the
    /// networks across scheduler tasks; null: all of them.</summary>
    public int? OnlyNetwork { get; init; }
    public int TestBatchSize { get; init; } = 256;
    /// <summary>Train with the small set's learned step size α when it has one (MTT and DATM: `args.lr_net =
    /// syn_lr.item()`, Cazenavette et al. 2022); <see cref="LearningRate"/> is then the fallback for sets without one.</summary>
    public bool UseLearnedLr { get; init; }

    /// <summary>The protocol as it applies to <paramref name="set"/>: its learned step size as the learning rate when
    /// <see cref="UseLearnedLr"/> and the set carries a positive one. Every evaluation of a small set goes through here.</summary>
    public EvalProtocol ForSet(SmallSet set) => TrainsAtLearnedLr(set) ? this with { LearningRate = set.LearnedLr!.Value } : this;

    /// <summary>True when <paramref name="set"/> trains at its own learned step size under this protocol.</summary>
    public bool TrainsAtLearnedLr(SmallSet set) => UseLearnedLr && set.LearnedLr is double lr && lr > 0;

    /// <summary>SEL's evaluate_synset (SelMatch `utils.py`): ResNet18BN, lr 0.1 cosine to 0.001, batch 128,
    /// 'combined' augmentation (DSA on distilled images, crop+flip on real ones), 5 networks.</summary>
    public static EvalProtocol Sel(string model = "ResNet18BN", int epochs = 1000) => new()
    {
        Name = "sel", Model = model, Epochs = epochs, LearningRate = 0.1, BatchSize = 128,
        Schedule = LrScheduleKind.Cosine, Augmentation = AugMode.Combined, Networks = 5,
    };

    /// <summary>MTT's evaluate_synset (MTT `utils.py`): ConvNet, the learned step size as lr (0.01 when there is
    /// none), ×0.1 after epoch ⌊E/2⌋+1 with a fresh optimiser, batch 256, DSA, 5 networks.</summary>
    public static EvalProtocol Mtt(double lr = 0.01, string model = "ConvNet", int epochs = 1000) => new()
    {
        Name = "mtt", Model = model, Epochs = epochs, LearningRate = lr, BatchSize = 256,
        Schedule = LrScheduleKind.Step, Augmentation = AugMode.Dsa, Networks = 5, UseLearnedLr = true,
    };

    /// <summary>DC/DSA/DM's evaluate_synset (DC `utils.py`) with DSA on: ConvNet, lr 0.01 step decay, batch 256, 1000
    /// epochs, DSA with the DC repository's warps (align_corners = false), 20 networks.</summary>
    public static EvalProtocol Dc(string model = "ConvNet", int epochs = 1000) => new()
    {
        Name = "dc", Model = model, Epochs = epochs, LearningRate = 0.01, BatchSize = 256,
        Schedule = LrScheduleKind.Step, Augmentation = AugMode.Dsa, Networks = 20,
        AugmentOptions = new AugmentOptions { Dsa = DsaParams.DatasetCondensation },
    };

    /// <summary>The "whole dataset" row: one network on the full training set, lr 0.01 step decay, batch 256, no augmentation.</summary>
    public static EvalProtocol WholeData(string model = "ConvNet", int epochs = 30) => new()
    {
        Name = "whole", Model = model, Epochs = epochs, LearningRate = 0.01, BatchSize = 256,
        Schedule = LrScheduleKind.Step, Augmentation = AugMode.None, Networks = 1,
    };

    public static EvalProtocol Preset(string name) => name.Trim().ToLowerInvariant() switch
    {
        "sel" => Sel(),
        "mtt" => Mtt(),
        "dc" => Dc(),
        "whole" => WholeData(),
        _ => throw new ArgumentException($"unknown evaluation protocol '{name}', expected sel, mtt or dc"),
    };

    /// <summary>The training loop one evaluation network runs: Epochs+1 epochs.</summary>
    public TrainOptions ToTrainOptions(string stage) => new()
    {
        Epochs = Epochs + 1, BatchSize = BatchSize, LearningRate = LearningRate, Momentum = Momentum, WeightDecay = WeightDecay,
        Schedule = LrSchedule.For(Schedule, Epochs), Augment = Training.Augmentation.For(Augmentation, AugmentOptions), Stage = stage,
    };

    public void Validate()
    {
        if (Networks < 1) throw new ArgumentOutOfRangeException(nameof(Networks), Networks, "need at least one network");
        if (OnlyNetwork is int k && (k < 0 || k >= Networks))
            throw new ArgumentOutOfRangeException(nameof(OnlyNetwork), k, $"network {k} of {Networks}: expected 0 ≤ k < {Networks}");
        if (TestBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(TestBatchSize), TestBatchSize, "test batch must be ≥ 1");
        ToTrainOptions("validate").Validate();
    }
}
