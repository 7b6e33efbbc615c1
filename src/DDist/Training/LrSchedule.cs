namespace DDist.Training;

/// <summary>Learning rate per epoch (epochs counted from 0), and whether the optimiser is rebuilt before an
/// epoch (momentum buffers dropped), as the reference step decay does.</summary>
public abstract record LrSchedule
{
    public abstract double LearningRate(int epoch, double baseLr);
    public virtual bool ResetsOptimizerBefore(int epoch) => false;

    /// <summary>Short name for logs and metadata: "constant", "step", "cosine".</summary>
    public abstract string Kind { get; }

    public static LrSchedule Constant { get; } = new ConstantLr();

    /// <summary>MTT/DC evaluation and MTT experts with --decay: lr ×0.1 after epoch index ⌊E/2⌋+1, with a fresh optimiser.</summary>
    public static LrSchedule StepAfterHalf(int epochs) => new StepDecayLr(epochs / 2 + 1);

    /// <summary>SEL evaluation: CosineAnnealingLR(T_max = E, eta_min = 0.01·lr), over E+1 epochs.</summary>
    public static LrSchedule CosineTo1Percent(int epochs) => new CosineLr(epochs, 0.01);

    /// <summary>The schedule of a kind for a protocol whose nominal epoch count is <paramref name="epochs"/>.</summary>
    public static LrSchedule For(LrScheduleKind kind, int epochs) => kind switch
    {
        LrScheduleKind.Constant => Constant,
        LrScheduleKind.Step => StepAfterHalf(epochs),
        LrScheduleKind.Cosine => CosineTo1Percent(epochs),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule"),
    };

    public static LrScheduleKind ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "constant" => LrScheduleKind.Constant,
        "step" => LrScheduleKind.Step,
        "cosine" => LrScheduleKind.Cosine,
        _ => throw new ArgumentException($"unknown lr schedule '{text}', expected constant, step or cosine"),
    };
}

/// <summary>The learning-rate schedules the reference protocols use.</summary>
public enum LrScheduleKind { Constant, Step, Cosine }

public sealed record ConstantLr : LrSchedule
{
    public override string Kind => "constant";
    public override double LearningRate(int epoch, double baseLr) => baseLr;
}

/// <summary>lr for epochs 0..DecayAfterEpoch, Factor·lr afterwards; the optimiser is rebuilt once, before
/// epoch DecayAfterEpoch+1 (the reference does `if ep in [E//2+1]: lr *= 0.1; optimizer = SGD(...)` after training epoch ep).</summary>
public sealed record StepDecayLr(int DecayAfterEpoch, double Factor = 0.1) : LrSchedule
{
    public override string Kind => "step";
    public override double LearningRate(int epoch, double baseLr) => epoch > DecayAfterEpoch ? baseLr * Factor : baseLr;
    public override bool ResetsOptimizerBefore(int epoch) => epoch == DecayAfterEpoch + 1;
}

/// <summary>Closed form of torch's CosineAnnealingLR stepped once per epoch:
/// lr_e = η_min + (lr − η_min)(1 + cos(π·e/T))/2 with η_min = MinFraction·lr. SEL trains T+1 epochs
/// (e = 0..T), so its last epoch runs at η_min.</summary>
public sealed record CosineLr(int TMax, double MinFraction) : LrSchedule
{
    public override string Kind => "cosine";

    public override double LearningRate(int epoch, double baseLr)
    {
        if (TMax <= 0) return baseLr;
        double min = MinFraction * baseLr;
        return min + (baseLr - min) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
    }
}
