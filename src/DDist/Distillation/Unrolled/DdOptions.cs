using System.Globalization;
using DDist.Distillation.Unrolling;

namespace DDist.Distillation.Unrolled;

/// <summary>How DD's networks start: re-drawn every iteration and for every evaluation network (`unknown_init`),
/// or drawn once and kept, the evaluation starting from the same weights (`known_init` + `same_as_train`).</summary>
public enum DdInit { Unknown, Known }

/// <summary>Settings of DD (Wang et al. 2018) and soft-label DD (Sucholutsky &amp; Schonlau 2021; Li et al. 2020 is the
/// same algorithm): the recipe's <see cref="DdSettings"/> plus what the command decides (labels learned or not, seed,
/// output folder). Defaults are the official code's (`base_options.py`).</summary>
public sealed record DdOptions : DdSettings
{
    public DdOptions() { }

    /// <summary>A recipe's settings (its <c>unrolled</c> section), copied whole.</summary>
    public DdOptions(DdSettings settings) : base(settings) { }

    public DdInit Init { get; init; } = DdInit.Unknown;
    /// <summary>Soft-label DD: the label rows learn with the images (Sucholutsky &amp; Schonlau).</summary>
    public bool LearnLabels { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>How the outer gradient is taken through the T steps: full unrolling (every step's second-order graph
    /// kept, as the official code's retained graphs) or exact recomputation (the adjoint loop over stored weights, one
    /// step's graph at a time; the same gradient up to round-off, activation memory flat in T). Null =
    /// <see cref="UnrollModes.DefaultFor"/>(T), the rule trajectory matching uses. TESLA's approximation is refused:
    /// DD's outputs are exact.</summary>
    public UnrollMode? Unroll { get; init; }
    /// <summary>The mode this run uses.</summary>
    public UnrollMode UnrollUsed => Unroll ?? UnrollModes.DefaultFor(StepCount);
    /// <summary>Write OutputDir/checkpoint.safetensors every this many iterations (and at the end); 0 = only at the end.</summary>
    public int CheckpointEvery { get; init; } = 50;
    /// <summary>Continue from OutputDir's checkpoint when one exists (made with the same settings).</summary>
    public bool Resume { get; init; } = true;
    public required string OutputDir { get; init; }

    public int StepCount => DistillSteps * DistillEpochs;
    public string Method => LearnLabels ? "sld" : "dd";

    /// <summary>Everything that changes the result except the run length, so a longer run may continue a shorter one.
    /// Full and exact unrolling compute the same gradient, so a run may switch between them.</summary>
    public string Fingerprint() => string.Join("|", Describe().Where(kv => kv.Key is not ("epochs" or "max_iterations" or "unroll")).Select(kv => $"{kv.Key}={kv.Value}"))
                                   + $"|seed={Seed}|method={Method}";

    /// <summary>StepLR as the official code drives it: scheduler.step() at the start of every pass, which with
    /// PyTorch ≥ 1.1 already counts as one epoch, so the first decay comes one pass early.</summary>
    public double LrAtPass(int pass) => Lr * Math.Pow(DecayFactor, (pass + 1) / DecayEpochs);

    /// <summary>Every problem, each naming its field (recipe JSON names).</summary>
    public override void Check(FieldErrors e)
    {
        base.Check(e);
        e.Need(CheckpointEvery >= 0, "checkpointEvery", $"is {CheckpointEvery}, expected ≥ 0");
        e.Need(Unroll is not UnrollMode.Tesla, "unroll", "is 'tesla', expected 'full' or 'exact' (TESLA's approximate gradient is for trajectory matching)");
    }

    public void Validate()
    {
        var e = new FieldErrors();
        Check(e);
        e.ThrowIfAny("DD options");
    }

    public Dictionary<string, string> Describe() => new()
    {
        ["model"] = Model,
        ["distill_steps"] = Inv(DistillSteps), ["distill_epochs"] = Inv(DistillEpochs), ["images_per_class_per_step"] = Inv(ImagesPerClassPerStep),
        ["distill_lr"] = Inv(DistillLr), ["lr"] = Inv(Lr), ["decay_epochs"] = Inv(DecayEpochs), ["decay_factor"] = Inv(DecayFactor),
        ["epochs"] = Inv(Epochs), ["max_iterations"] = MaxIterations is int m ? Inv(m) : "all", ["batch_size"] = Inv(BatchSize),
        ["init"] = Init == DdInit.Unknown ? "unknown_init (xavier, re-drawn)" : "known_init (xavier, fixed)", ["nets"] = Inv(Nets),
        ["init_gain"] = Inv(InitGain), ["learn_labels"] = LearnLabels ? "true" : "false",
        ["augment_real"] = AugmentReal ? "crop+flip (zero padding)" : "none",
        ["unroll"] = UnrollModes.Name(UnrollUsed),
    };

    private static string Inv(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
