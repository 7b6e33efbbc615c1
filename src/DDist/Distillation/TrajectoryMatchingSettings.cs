using System.Text.Json.Serialization;

namespace DDist.Distillation;

/// <summary>The trajectory-matching settings a recipe states (MTT `distill.py`'s arguments): the `distill` section of a
/// SelMatch recipe and the `matching` section of a DATM / TESLA recipe derive from this type, so they are read from the
/// JSON into the very fields <see cref="TrajectoryMatchingOptions"/> (which derives from it too) hands to the stage;
/// <see cref="Check"/> is the one place these fields are validated.</summary>
/// <remarks>The C# defaults serve code that builds options directly (tests, benchmarks); a recipe must state
/// iterations, synSteps and maxStartEpoch ([JsonRequired]). The property order is the one the spelled-out recipe
/// (RUN/pipeline.json, RUN/recipe.json) always had, so run folders made before this type existed still match.</remarks>
public record TrajectoryMatchingSettings
{
    /// <summary>Outer iterations (each: one expert segment, SynSteps unrolled student steps, one image update).</summary>
    [JsonRequired, JsonPropertyOrder(10)] public int Iterations { get; init; } = 1000;
    /// <summary>N: unrolled student steps on the synthetic set per iteration.</summary>
    [JsonRequired, JsonPropertyOrder(11)] public int SynSteps { get; init; } = 20;
    /// <summary>M: expert epochs the N student steps must match.</summary>
    [JsonPropertyOrder(12)] public int ExpertEpochs { get; init; } = 2;
    /// <summary>Start epoch t is uniform in [0, MaxStartEpoch − 1] (DATM: [minStartEpoch, U − 1]).</summary>
    [JsonRequired, JsonPropertyOrder(13)] public int MaxStartEpoch { get; init; } = 20;
    /// <summary>Student mini-batch size; null = the whole synthetic set per step.</summary>
    [JsonPropertyOrder(14)] public int? BatchSyn { get; init; }
    /// <summary>Learning rate of the pixel SGD.</summary>
    [JsonPropertyOrder(15)] public double LrImg { get; init; } = 1000;
    /// <summary>Learning rate of the SGD on the student's learnable step size.</summary>
    [JsonPropertyOrder(16)] public double LrLr { get; init; } = 1e-5;
    /// <summary>The student's initial step size (MTT's lr_teacher / syn_lr init: SEL 0.001, MTT 0.01), learned
    /// from there on. Not SelMatch's distilled fraction, which is a share of each class.</summary>
    [JsonPropertyOrder(17)] public double LrInit { get; init; } = 0.01;
    /// <summary>Write a checkpoint every this many iterations (0 = only at the end).</summary>
    [JsonPropertyOrder(22)] public int CheckpointEvery { get; init; } = 50;
    /// <summary>FTD's exponential moving average of the images (Du et al., CVPR 2023, `distill_FTD.py --ema_decay`,
    /// 0.999 by default there): after every image update ema ← d·ema + (1 − d)·images; each evaluation point scores
    /// the images and their average, as FTD's does, and the better is kept (the average when nothing is evaluated);
    /// null = the images alone (MTT).</summary>
    [JsonPropertyOrder(23)] public double? EmaDecay { get; init; }

    /// <summary>Every problem of these settings, named under the errors' section; <paramref name="expertEpochs"/> is
    /// what the experts trained (the matching segment must end within it), <paramref name="expertEpochsField"/> how
    /// the message names that count (e.g. "experts.epochs").</summary>
    public void Check(FieldErrors e, int expertEpochs, string expertEpochsField)
    {
        e.Need(Iterations >= 0, "iterations", $"is {Iterations}, expected ≥ 0");
        e.Need(SynSteps >= 1, "synSteps", $"is {SynSteps}, expected ≥ 1");
        e.Need(ExpertEpochs >= 1, "expertEpochs", $"is {ExpertEpochs}, expected ≥ 1");
        e.Need(MaxStartEpoch >= 1, "maxStartEpoch", $"is {MaxStartEpoch}, expected ≥ 1");
        e.Need(MaxStartEpoch - 1 + ExpertEpochs <= expertEpochs, "maxStartEpoch",
               $"is {MaxStartEpoch} with expertEpochs {ExpertEpochs}: needs expert snapshot {MaxStartEpoch - 1 + ExpertEpochs}, {expertEpochsField} is {expertEpochs}");
        e.Need(BatchSyn is null or >= 1, "batchSyn", $"is {BatchSyn}, expected ≥ 1 or null (the whole set)");
        e.Need(LrImg > 0, "lrImg", $"is {LrImg}, expected > 0");
        e.Need(LrLr >= 0, "lrLr", $"is {LrLr}, expected ≥ 0");
        e.Need(LrInit > 0, "lrInit", $"is {LrInit}, expected > 0");
        e.Need(CheckpointEvery >= 0, "checkpointEvery", $"is {CheckpointEvery}, expected ≥ 0");
        e.Need(EmaDecay is null or (> 0 and < 1), "emaDecay", $"is {EmaDecay}, expected a decay in (0, 1) such as FTD's 0.999, or no field (no average)");
    }
}
