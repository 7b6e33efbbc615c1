namespace DDist.Distillation.Unrolled;

/// <summary>The DD / soft-label DD settings a recipe states (the official code's `base_options.py`, same names and
/// defaults): the recipe's <c>unrolled</c> section derives from this type and <see cref="DdOptions"/> takes it over
/// whole; <see cref="Check"/> is the one place these fields are validated.</summary>
public record DdSettings
{
    public string Model { get; init; } = "LeNet";
    /// <summary>S: separate image batches, one per step of an epoch of GD (`distill_steps`).</summary>
    public int DistillSteps { get; init; } = 10;
    /// <summary>E: passes over the S batches; T = S·E learned steps (`distill_epochs`).</summary>
    public int DistillEpochs { get; init; } = 3;
    /// <summary>p: images per class in each step batch (`distilled_images_per_class_per_step`).</summary>
    public int ImagesPerClassPerStep { get; init; } = 1;
    /// <summary>Initial value of every learned step size (`distill_lr`).</summary>
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
    /// <summary>Networks per iteration (`n_nets`; all are used, `sample_n_nets` = n_nets).</summary>
    public int Nets { get; init; } = 1;
    /// <summary>xavier_normal gain (`init_param`).</summary>
    public double InitGain { get; init; } = 1.0;
    /// <summary>Evaluation networks trained with the learned steps at the end (`test_n_nets`).</summary>
    public int TestNets { get; init; } = 10;
    /// <summary>Crop-and-flip the real batches (the official CIFAR-10 loader: pad 4, crop, flip). Padding here is zeros in
    /// normalised space (<see cref="Augment.SimpleAugment"/>), where the official loader reflects.</summary>
    public bool AugmentReal { get; init; }

    /// <summary>Every problem of the numbers (the model is checked against the dataset by the recipe).</summary>
    public virtual void Check(FieldErrors e)
    {
        e.Need(DistillSteps >= 1, "distillSteps", $"is {DistillSteps}, expected ≥ 1");
        e.Need(DistillEpochs >= 1, "distillEpochs", $"is {DistillEpochs}, expected ≥ 1");
        e.Need(ImagesPerClassPerStep >= 1, "imagesPerClassPerStep", $"is {ImagesPerClassPerStep}, expected ≥ 1");
        e.Need(DistillLr > 0 && double.IsFinite(DistillLr), "distillLr", $"is {DistillLr}, expected > 0");
        e.Need(Lr > 0 && double.IsFinite(Lr), "lr", $"is {Lr}, expected > 0");
        e.Need(DecayEpochs >= 1, "decayEpochs", $"is {DecayEpochs}, expected ≥ 1");
        e.Need(DecayFactor is > 0 and <= 1, "decayFactor", $"is {DecayFactor}, expected in (0, 1]");
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(MaxIterations is null or >= 1, "maxIterations", $"is {MaxIterations}, expected ≥ 1 or absent");
        e.Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
        e.Need(Nets >= 1, "nets", $"is {Nets}, expected ≥ 1");
        e.Need(InitGain > 0, "initGain", $"is {InitGain}, expected > 0");
        e.Need(TestNets >= 1, "testNets", $"is {TestNets}, expected ≥ 1");
    }
}
