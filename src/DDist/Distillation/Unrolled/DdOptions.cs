using System.Globalization;
using DDist.Distillation.Unrolling;

namespace DDist.Distillation.Unrolled;

/// <summary>How DD's networks start: re-drawn every iteration and for every evaluation network (`unknown_init`),
/// or drawn once and kept, the evaluation starting from the same weights (`known_init` + `same_as_train`).</summary>
public enum DdInit { Unknown, Known }

/// <summary>Settings of DD (Wang et al. 2018) and soft-label DD (Sucholutsky &amp; Schonlau 2021; Li et al. 2020 is the
/// same algorithm). Defaults are the official code's (`base_options.py`).</summary>
public sealed record DdOptions
{
    public string Model { get; init; } = "LeNet";
    /// <summary>S: separate image batches, one per step of an epoch of GD (`distill_steps`).</summary>
    public int DistillSteps { get; init; } = 10;
    /// <summary>E: passes over the S batches; T = S·E learned steps (`distill_epochs`).</summary>
    public int DistillEpochs { get; init; } = 3;
    /// <summary>p: images per class in each step batch (`distilled_images_per_class_per_step`).</summary>
    public int ImagesPerClassPerStep { get; init; } = 1;
    /// <summary>Initial step size α₀ of every step (`distill_lr`).</summary>
    public double DistillLr { get; init; } = 0.02;
    /// <summary>Adam lr over images, labels and step sizes (`lr`); Adam betas (0.5, 0.999).</summary>
    public double Lr { get; init; } = 0.01;
    public int DecayEpochs { get; init; } = 40;
    public double DecayFactor { get; init; } = 0.5;
    /// <summary>Passes over the shuffled real training set; every real batch is one outer iteration.</summary>
    public int Epochs { get; init; } = 400;
    /// <summary>Stops after this many outer iterations even mid-pass (CPU-sized runs); null = all passes.</summary>
    public int? MaxIterations { get; init; }
    public int BatchSize { get; init; } = 1024;
    public DdInit Init { get; init; } = DdInit.Unknown;
    /// <summary>Networks per iteration (`n_nets`; all are used, `sample_n_nets` = n_nets).</summary>
    public int Nets { get; init; } = 1;
    /// <summary>xavier_normal gain (`init_param`).</summary>
    public double InitGain { get; init; } = 1.0;
    /// <summary>Soft-label DD: the label rows learn with the images (Sucholutsky &amp; Schonlau).</summary>
    public bool LearnLabels { get; init; }
    /// <summary>Crop-and-flip the real batches (the official CIFAR-10 loader: pad 4, crop, flip). Padding here is zeros in
    /// normalised space (<see cref="Augment.SimpleAugment"/>), where the official loader reflects.</summary>
    public bool AugmentReal { get; init; }
    /// <summary>Evaluation networks trained with the learned steps at the end (`test_n_nets`).</summary>
    public int TestNets { get; init; } = 10;
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
    public List<string> Check()
    {
        var e = new List<string>();
        void Need(bool ok, string field, string what) { if (!ok) e.Add($"field '{field}' {what}"); }
        Need(DistillSteps >= 1, "distillSteps", $"is {DistillSteps}, expected ≥ 1");
        Need(DistillEpochs >= 1, "distillEpochs", $"is {DistillEpochs}, expected ≥ 1");
        Need(ImagesPerClassPerStep >= 1, "imagesPerClassPerStep", $"is {ImagesPerClassPerStep}, expected ≥ 1");
        Need(DistillLr > 0 && double.IsFinite(DistillLr), "distillLr", $"is {DistillLr}, expected > 0");
        Need(Lr > 0 && double.IsFinite(Lr), "lr", $"is {Lr}, expected > 0");
        Need(DecayEpochs >= 1, "decayEpochs", $"is {DecayEpochs}, expected ≥ 1");
        Need(DecayFactor is > 0 and <= 1, "decayFactor", $"is {DecayFactor}, expected in (0, 1]");
        Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        Need(MaxIterations is null or >= 1, "maxIterations", $"is {MaxIterations}, expected ≥ 1 or absent");
        Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
        Need(Nets >= 1, "nets", $"is {Nets}, expected ≥ 1");
        Need(InitGain > 0, "initGain", $"is {InitGain}, expected > 0");
        Need(TestNets >= 1, "testNets", $"is {TestNets}, expected ≥ 1");
        Need(CheckpointEvery >= 0, "checkpointEvery", $"is {CheckpointEvery}, expected ≥ 0");
        Need(Unroll is not UnrollMode.Tesla, "unroll", "is 'tesla', expected 'full' or 'exact' (TESLA's approximate gradient is for trajectory matching)");
        return e;
    }

    public void Validate()
    {
        var e = Check();
        if (e.Count > 0) throw new ArgumentException("invalid DD options: " + string.Join("; ", e));
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
