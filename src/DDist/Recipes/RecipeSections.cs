namespace DDist.Recipes;

/// <summary>Expert trajectories (MTT/SelMatch `buffer.py`): architecture, count, epochs and the SGD that trained
/// them.</summary>
public sealed record ExpertRecipe
{
    public required string Model { get; init; }
    public required int Count { get; init; }
    public required int Epochs { get; init; }
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; }
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 256;
    /// <summary>"none" (SEL) or "dsa" (MTT).</summary>
    public string Augmentation { get; init; } = "none";
    /// <summary>Train the experts on this many images per class (a CPU-sized shortcut); null = the whole training set.</summary>
    public int? TrainPerClass { get; init; }
}

/// <summary>Difficulty scores: imported from <see cref="File"/>, or (forgetting only) computed by training.</summary>
public sealed record ScoreRecipe
{
    /// <summary>"cscore" or "forgetting".</summary>
    public required string Kind { get; init; }
    /// <summary>A published score file (.npz/.npy/.csv/.safetensors); null = compute forgetting scores.</summary>
    public string? File { get; init; }
    public int Runs { get; init; } = 5;
    public int Epochs { get; init; } = 20;
    public string? Model { get; init; }
    public int BatchSize { get; init; } = 128;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
}

/// <summary>The sliding-window search (SelMatch, Lee et al. ICML 2024, `eval.py --method window`,
/// `scripts/sliding_window`).</summary>
public sealed record WindowRecipe
{
    public required double[] Betas { get; init; }
    /// <summary>"fraction-of-ipc" (released code) or "fraction-of-class" (paper).</summary>
    public string Offset { get; init; } = "fraction-of-ipc";
    /// <summary>"reject" or "shift-back" for windows that run past a class's end.</summary>
    public string Overflow { get; init; } = "reject";
    /// <summary>Training epochs of each evaluation network (the protocol's Epoch).</summary>
    public required int Epochs { get; init; }
    public int Nets { get; init; } = 5;
    /// <summary>Augmentation of the networks that score each window: "dsa" as SelMatch's sliding-window scripts
    /// (`eval.py --aug dsa`: batch-level, non-Siamese DSA on the all-real window); the rest of the protocol (model,
    /// optimiser, schedule, batch) is the evaluation's.</summary>
    public string Augmentation { get; init; } = "dsa";
    /// <summary>Also run successive halving starting from this many epochs (null: skip).</summary>
    public int? HalvingStartEpochs { get; init; }
}

/// <summary>Trajectory matching with SelMatch's partial update (MTT `distill.py`; SelMatch `distill.py`).</summary>
public sealed record DistillRecipe
{
    /// <summary>Fraction of each class's window that is distilled (α); 0 = pure selection, 1 = all learnable.</summary>
    public required double Alpha { get; init; }
    /// <summary>Window offset β; null = the best β of the window search.</summary>
    public double? Beta { get; init; }
    /// <summary>"harder" (released code) or "easier": which part of the window stays real.</summary>
    public string FrozenPart { get; init; } = "harder";
    public required int Iterations { get; init; }
    public required int SynSteps { get; init; }
    public int ExpertEpochs { get; init; } = 2;
    public required int MaxStartEpoch { get; init; }
    /// <summary>Student mini-batch; null = the whole synthetic set.</summary>
    public int? BatchSyn { get; init; }
    public double LrImg { get; init; } = 1000;
    public double LrLr { get; init; } = 1e-5;
    public double LrInit { get; init; } = 0.01;
    /// <summary>How the matching loss is differentiated through the student steps: "full" (unroll, the reference),
    /// "exact" (recompute step by step: the same gradient, memory flat in synSteps) or "tesla" (approximate);
    /// null = <see cref="DDist.Distillation.Unrolling.UnrollModes.DefaultFor"/>.</summary>
    public string? Unroll { get; init; }
    /// <summary>Non-Siamese DSA in the inner loop (every reference does).</summary>
    public bool Dsa { get; init; } = true;
    /// <summary>DSA strategy; null = the dataset's default (no flip for digits).</summary>
    public string? DsaStrategy { get; init; }
    public int CheckpointEvery { get; init; } = 50;
    public int[] EvalIterations { get; init; } = [];
    /// <summary>Where every choice of the run is made — the window search's β, successive halving, the best
    /// iteration: "validation" (a split carved from the training set before anything is chosen and held out of every
    /// small set) or "test" (the reference protocol: SelMatch and MTT choose on the test set; every output says so).</summary>
    public string SelectOn { get; init; } = "validation";
    /// <summary>Validation images per class, drawn at random from the training set (with <see cref="SelectOn"/> = validation).</summary>
    public int ValidationPerClass { get; init; } = 100;
    /// <summary>Budget of the evaluations that pick the best iteration.</summary>
    public int SelectionEpochs { get; init; } = 100;
    public int SelectionNets { get; init; } = 1;
}

/// <summary>The final evaluation of every compared set (evaluate_synset, SelMatch/MTT/DC `utils.py`).</summary>
public sealed record EvalRecipe
{
    /// <summary>"sel", "mtt" or "dc" (the protocol's optimiser, schedule, batch and augmentation).</summary>
    public string Protocol { get; init; } = "sel";
    public required string Model { get; init; }
    public required int Epochs { get; init; }
    public int Nets { get; init; } = 5;
    /// <summary>Overrides of the protocol's values (null keeps them).</summary>
    public double? Lr { get; init; }
    public int? BatchSize { get; init; }
    public string? Augmentation { get; init; }
}
