using System.Text.Json.Serialization;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Training.Experts;

namespace DDist.Recipes;

// Each section of a recipe is (or derives from) the settings type of the stage it configures, and checks itself into
// a FieldErrors under its JSON path; RecipeValidation adds only what spans sections (sizes against the dataset).

/// <summary>Expert trajectories (MTT/SelMatch `buffer.py`): architecture, count, epochs and the SGD that trained
/// them. Read from JSON and handed to <see cref="ExpertOptions"/> by <see cref="ToOptions"/>, the one mapping left
/// between a section and its stage: the recipe's names (count, lr, augmentation as text) are those every shipped
/// recipe and run folder spells, ExpertOptions' (NumExperts, LearningRate, AugMode) those of the expert metadata and
/// the `ddist experts` command, and renaming either would break the other.</summary>
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
    /// <summary>GSAM over SGD (`{"rho": 0.01, "alpha": 0.3}`, `adaptive` true unless given), as FTD's and DATM's
    /// `buffer_FTD.py` train their experts; null = plain SGD.</summary>
    public Training.SharpnessAware? Gsam { get; init; }

    public void Check(FieldErrors e, DatasetSpec? spec)
    {
        RecipeChecks.Model(e, "model", Model, spec);
        e.Need(Count >= 1, "count", $"is {Count}, expected ≥ 1 (SelMatch, MTT, DATM and TESLA need expert trajectories)");
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Lr > 0, "lr", $"is {Lr}, expected > 0");
        e.Need(Momentum >= 0, "momentum", $"is {Momentum}, expected ≥ 0");
        e.Need(WeightDecay >= 0, "weightDecay", $"is {WeightDecay}, expected ≥ 0");
        e.Need(BatchSize >= 1, "batchSize", $"is {BatchSize}, expected ≥ 1");
        e.Need(Augmentation is "none" or "dsa", "augmentation", $"is '{Augmentation}', expected 'none' or 'dsa'");
        if (TrainPerClass is int tpc && spec is not null)
            e.Need(tpc >= 1 && tpc <= spec.SmallestTrainClass, "trainPerClass", $"is {tpc}, expected 1..{spec.SmallestTrainClass}");
        if (Gsam is { } g)
        {
            e.Need(g.Rho > 0 && double.IsFinite(g.Rho), "gsam.rho", $"is {g.Rho}, expected > 0 (FTD and DATM use 0.01)");
            e.Need(g.Alpha >= 0 && double.IsFinite(g.Alpha), "gsam.alpha", $"is {g.Alpha}, expected ≥ 0 (DATM's command uses 0.3)");
        }
    }

    /// <summary>"3 × ConvNetW32, 6 epochs" (with GSAM's settings when it trains them), as reports list the experts.</summary>
    public string Describe() => FormattableString.Invariant($"{Count} × {Model}, {Epochs} epochs") + (Gsam is { } g ? ", " + g.Describe() : "");

    public ExpertOptions ToOptions(int seed, string dsaStrategy) => new()
    {
        Model = Model, NumExperts = Count, Epochs = Epochs, LearningRate = Lr, Momentum = Momentum, WeightDecay = WeightDecay,
        BatchSize = BatchSize, Augmentation = Training.Augmentation.Parse(Augmentation), DsaStrategy = dsaStrategy, Seed = (ulong)seed,
        Sharpness = Gsam,
    };
}

/// <summary>Difficulty scores: imported from <see cref="File"/>, or (forgetting and learning speed) computed by training
/// with the <see cref="ForgettingSettings"/> this section derives from.</summary>
public sealed record ScoreRecipe : ForgettingSettings
{
    /// <summary>"cscore", "forgetting" or "learning-speed"; or a list of the computed kinds, which the window search
    /// then searches with β (every kind from the same training runs), choosing both on the choice split.</summary>
    [JsonPropertyOrder(1), JsonConverter(typeof(OneOrManyConverter))] public required string[] Kind { get; init; }
    /// <summary>A published score file (.npz/.npy/.csv/.safetensors); null = compute the scores (forgetting or learning speed).</summary>
    [JsonPropertyOrder(2)] public string? File { get; init; }
    /// <summary>The network whose training runs compute the scores; null = the experts' model.</summary>
    [JsonPropertyOrder(5)] public string? Model { get; init; }

    /// <summary>The kinds, parsed (<see cref="Check"/> has refused any that does not parse).</summary>
    [JsonIgnore] public IReadOnlyList<ScoreKind> Kinds => Kind.Select((k, i) => ScoreKindExtensions.ParseScoreKind(k, Kind.Length == 1 ? "scores.kind" : $"scores.kind[{i}]")).ToArray();

    /// <param name="fileFound">Whether <see cref="File"/> resolves (next to the recipe or in $DDIST_SCORES).</param>
    public void Check(FieldErrors e, DatasetSpec? spec, bool fileFound)
    {
        var kinds = new List<ScoreKind>();   // the readable ones (each unreadable one is reported once, by Try)
        for (int i = 0; i < Kind.Length; i++)
        {
            string field = Kind.Length == 1 ? "kind" : $"kind[{i}]", value = Kind[i];
            e.Try(field, () => kinds.Add(ScoreKindExtensions.ParseScoreKind(value, $"field '{e.Path(field)}'")));
        }
        e.Need(Kind.Length > 0, "kind", "is an empty list, expected a score kind ('forgetting', 'learning-speed' or 'cscore') or a list of the computed ones");
        foreach (var twice in kinds.GroupBy(k => k).Where(g => g.Count() > 1))
            e.Need(false, "kind", $"names '{twice.Key.FileName()}' {twice.Count()} times; each kind once");
        if (File is string file)
        {
            e.Need(Kind.Length <= 1, "kind", $"lists {Kind.Length} kinds with '{e.Path("file")}': an imported file holds one kind; " +
                                            "searching kinds is for computed scores ('forgetting', 'learning-speed')");
            e.Need(fileFound, "file", $"'{file}' was not found (absolute, next to the recipe, or in ${Recipe.ScoresEnvironmentVariable})");
            return;
        }
        foreach (var kind in kinds.Where(k => !k.IsComputed()))
            e.Need(false, "kind", $"holds '{kind.FileName()}' without '{e.Path("file")}'; C-scores need thousands of trainings and are imported: give '{e.Path("file")}', " +
                                  "or compute 'forgetting' or 'learning-speed' (the C-score's learning-speed proxy) scores");
        if (Model is not null) RecipeChecks.Model(e, "model", Model, spec);
        Check(e);
    }
}

/// <summary>The sliding-window search (SelMatch, Lee et al. ICML 2024, `eval.py --method window`,
/// `scripts/sliding_window`). Offset and overflow stay text here (a bad value is reported with every other bad field
/// instead of stopping the JSON reader); <see cref="Recipe.ToWindowSearchOptions"/> hands them on parsed.</summary>
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

    // The parsed forms; [JsonIgnore]: derived from the fields above, not fields of the recipe's JSON.
    [JsonIgnore] public WindowOffset OffsetMode => WindowOffsetMath.ParseWindowOffset(Offset, "window.offset");
    [JsonIgnore] public WindowOverflow OverflowMode => ParseOverflow(Overflow);
    /// <summary>The budget of the networks that score one β of the grid.</summary>
    [JsonIgnore] public EvalBudget Budget => new(Epochs, Nets);

    public void Check(FieldErrors e)
    {
        WindowGrid.CheckBetas(e, Betas);
        e.Try("offset", () => WindowOffsetMath.ParseWindowOffset(Offset, e.Path("offset")));
        e.Try("overflow", () => ParseOverflow(Overflow));
        e.Need(Epochs >= 1, "epochs", $"is {Epochs}, expected ≥ 1");
        e.Need(Nets >= 1, "nets", $"is {Nets}, expected ≥ 1");
        e.Try("augmentation", () => Training.Augmentation.Parse(Augmentation));
        e.Need(HalvingStartEpochs is null or >= 1, "halvingStartEpochs", $"is {HalvingStartEpochs}, expected ≥ 1");
    }

    public static WindowOverflow ParseOverflow(string text) => text switch
    {
        "reject" => WindowOverflow.Reject,
        "shift-back" => WindowOverflow.ShiftBack,
        _ => throw new ArgumentException($"field 'window.overflow' is '{text}', expected 'reject' or 'shift-back'"),
    };
}

/// <summary>Trajectory matching with SelMatch's partial update (MTT `distill.py`; SelMatch `distill.py`): the
/// <see cref="SelectingMatchingSettings"/> this section derives from (the matching settings, handed whole to the stage,
/// and how the best iteration is chosen), plus how SelMatch splits the window (distilled fraction, β, frozen part)
/// and the inner-loop augmentation.</summary>
/// <remarks>The JSON property orders keep the spelled-out recipe (RUN/pipeline.json, RUN/recipe.json) exactly as it
/// was before this section derived from the stage's settings, so existing run folders still match. frozenPart,
/// selectOn and unroll stay text here and are parsed into the options' enums (<see cref="FrozenPartMode"/>,
/// <see cref="SelectOn"/>, <see cref="UnrollMode"/>): read as text, a bad value is reported with every other bad
/// field of the recipe instead of stopping the JSON reader at the first, and unroll's null means "chosen by synSteps".
/// selectionEpochs and selectionNets together are the options' EvalBudget.</remarks>
public sealed record DistillRecipe : SelectingMatchingSettings
{
    /// <summary>SelMatch's α: the fraction of each class's window that is distilled (0 = pure selection, 1 = all
    /// learnable). Not the student's step size (<see cref="TrajectoryMatchingSettings.LrInit"/>, learned); the JSON
    /// keeps the paper's name "alpha". Required when SelMatch is compared; an MTT recipe omits it (MTT distils every
    /// image).</summary>
    [JsonPropertyName("alpha"), JsonPropertyOrder(1)] public double? DistilledFraction { get; init; }
    /// <summary>Window offset β; null = the best β of the window search.</summary>
    [JsonPropertyOrder(2)] public double? Beta { get; init; }
    /// <summary>"harder" (released code) or "easier": which part of the window stays real.</summary>
    [JsonPropertyOrder(3)] public string FrozenPart { get; init; } = "harder";
    /// <summary>How the matching loss is differentiated through the student steps: "full" (unroll, the reference),
    /// "exact" (recompute step by step: the same gradient, memory flat in synSteps) or "tesla" (approximate);
    /// null = <see cref="DDist.Distillation.Unrolling.UnrollModes.DefaultFor"/> synSteps, which is why it is text
    /// here and resolved in <see cref="UnrollMode"/>.</summary>
    [JsonPropertyOrder(18)] public string? Unroll { get; init; }
    /// <summary>Non-Siamese DSA in the inner loop (every reference does).</summary>
    [JsonPropertyOrder(19)] public bool Dsa { get; init; } = true;
    /// <summary>DSA strategy; null = the dataset's default (no flip for digits).</summary>
    [JsonPropertyOrder(20)] public string? DsaStrategy { get; init; }
    // The parsed forms; [JsonIgnore]: derived from the fields above, not fields of the recipe's JSON.
    [JsonIgnore] public Distillation.Unrolling.UnrollMode UnrollMode => Distillation.Unrolling.UnrollModes.FromRecipe(Unroll, SynSteps, "distill.unroll");
    [JsonIgnore] public Selection.FrozenPart FrozenPartMode => ParseFrozenPart(FrozenPart);
    protected override string SectionName => "distill";

    /// <param name="expertEpochs">experts.epochs: the matching segment must end within it.</param>
    /// <param name="spec">The dataset (null when unknown): digits must not be mirrored by the DSA strategy.</param>
    public void Check(FieldErrors e, int expertEpochs, DatasetSpec? spec)
    {
        e.Need(DistilledFraction is null or (>= 0 and <= 1), "alpha", $"is {DistilledFraction}, expected a value in [0, 1] (the distilled fraction of each class's window)");
        e.Need(Beta is null or (>= 0 and <= 1), "beta", $"is {Beta}, expected a value in [0, 1] or null (searched)");
        e.Try("frozenPart", () => ParseFrozenPart(FrozenPart));
        if (DsaStrategy is string strategy)
        {
            e.Try("dsaStrategy", () => DsaStrategies.Parse(strategy));
            if (spec is not null && DsaStrategies.IsDigitDataset(spec.Name))
                e.Need(!StrategyFlips(strategy), "dsaStrategy", $"is '{strategy}': {spec.Name} holds digits, which must not be mirrored (drop 'flip')");
        }
        Check(e, expertEpochs, "experts.epochs");
        if (Unroll is not null) e.Try("unroll", () => Distillation.Unrolling.UnrollModes.Parse(Unroll, e.Path("unroll")));
        CheckSelection(e);
    }

    private static bool StrategyFlips(string strategy)
    {
        try { return DsaStrategies.Flips(strategy); }
        catch (ArgumentException) { return false; }   // reported by the parse check
    }

    public static Selection.FrozenPart ParseFrozenPart(string text) => text switch
    {
        "harder" => Selection.FrozenPart.Harder,
        "easier" => Selection.FrozenPart.Easier,
        _ => throw new ArgumentException($"field 'distill.frozenPart' is '{text}', expected 'harder' or 'easier'"),
    };
}

/// <summary>The final evaluation of every compared set of a SelMatch or DATM/TESLA recipe; the model must be stated.</summary>
public sealed record EvalRecipe : EvalSettings
{
    [JsonPropertyOrder(2)] public override required string Model { get; init; }
}
