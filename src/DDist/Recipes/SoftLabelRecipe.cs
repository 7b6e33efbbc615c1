using System.Text.Json;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.SoftLabel;
using DDist.Distillation.Unrolling;
using DDist.Evaluation;
using DDist.Models;
using DDist.Selection;
using DDist.Torch.IO;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Recipes;

/// <summary>The "matching" section of a DATM / TESLA-label recipe: MTT's trajectory-matching settings (handed whole to
/// the stage) and best-iteration choice (<see cref="SelectingMatchingSettings"/>), plus the soft-label ones (Guo et al.
/// 2024 `configs/*`, Cui et al. 2023).</summary>
public sealed record SoftMatchingSection : SelectingMatchingSettings
{
    protected override string SectionName => "matching";

    public int MinStartEpoch { get; init; }
    public bool SequentialGeneration { get; init; }
    public int? CurrentMaxStartEpoch { get; init; }
    public int ExpansionEndEpoch { get; init; } = 1;
    public double LrY { get; init; } = 2;
    public double MomentumY { get; init; } = 0.9;
    public double Threshold { get; init; } = 1.0;
    /// <summary>"predicted-correctly" (DATM) or "real" (random real images of the class, MTT / TESLA).</summary>
    public string Init { get; init; } = "predicted-correctly";
    public bool Dsa { get; init; } = true;
    public string? DsaStrategy { get; init; }
    /// <summary>"full", "exact" (bounded-memory recomputation, the same gradient) or "tesla" (approximate), as MTT's
    /// distill.unroll; null = exact from 10 synSteps on.</summary>
    public string? Unroll { get; init; }
}

/// <summary>A recipe for `ddist distill RECIPE --method datm|tesla`: dataset, IPC, experts (trained into the output
/// folder when missing), the matching settings and the evaluation protocol (trained on the soft labels).</summary>
public sealed record SoftLabelRecipe
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Source { get; init; } = "";
    public required string Method { get; init; }
    public required string Dataset { get; init; }
    public required int Ipc { get; init; }
    public int Seed { get; init; }
    /// <summary>ZCA-whiten the [0,1] images instead of normalising them by mean and std (DATM's configs all do, MTT's
    /// `--zca`): fitted on the whole training set, applied to it and to the test set; experts, distillation and
    /// evaluation all work in that space, and the set carries the transform.</summary>
    public bool Zca { get; init; }
    public required ExpertRecipe Experts { get; init; }
    public required SoftMatchingSection Matching { get; init; }
    public required EvalRecipe Evaluation { get; init; }

    public static SoftLabelRecipe Load(string path)
    {
        InputFile.Require(path, "recipe file");
        SoftLabelRecipe r;
        try { r = JsonSerializer.Deserialize<SoftLabelRecipe>(File.ReadAllText(path), Recipe.Json) ?? throw new RecipeException(path, ["the file is empty"]); }
        catch (JsonException e) { throw RecipeException.FromJson(path, e); }
        var errors = r.Check();
        if (errors.Count > 0) throw new RecipeException(path, errors);
        return r;
    }

    public LabelSource Labels => Method == "tesla" ? LabelSource.Teacher : LabelSource.Learned;

    public List<string> Check()
    {
        var e = new FieldErrors();
        e.Need(!string.IsNullOrWhiteSpace(Name), "name", "is empty");
        e.Need(Method is "datm" or "tesla", "method", $"is '{Method}', expected 'datm' or 'tesla'");
        var spec = RecipeChecks.Dataset(e, Dataset);
        e.Need(Ipc >= 1, "ipc", $"is {Ipc}, expected ≥ 1");
        RecipeChecks.FitsSmallestClass(e, "ipc", Ipc, spec);
        Experts.Check(e.In("experts"), spec);
        var matching = e.In("matching");
        matching.Need(Matching.Init is "predicted-correctly" or "real", "init", $"is '{Matching.Init}', expected 'predicted-correctly' or 'real'");
        Matching.Check(matching, Experts.Epochs, "experts.epochs");
        matching.Need(Matching.EmaDecay is null, "emaDecay", "is given, but DATM's and TESLA's distillation keep no moving average of the images (FTD's average is built for MTT and SelMatch: their 'distill' section, a comparison's 'mtt')");
        if (Matching.Unroll is string u) matching.Try("unroll", () => UnrollModes.Parse(u, matching.Path("unroll")));
        Matching.CheckSelection(matching);
        // The start-epoch window repeats maxStartEpoch's bound: a field already reported is not reported twice.
        var soft = new FieldErrors().In("matching");
        ToSoftLabelOptions().Check(soft, Experts.Epochs, Matching.ExpertEpochs);
        foreach (var m in soft.All.Where(m => !e.All.Any(x => SameField(x, m))).ToList()) e.AddRaw(m);
        Evaluation.Check(e.In("evaluation"), spec);
        e.Need(Evaluation.CrossArchitectures is null, "evaluation.crossArchitectures",
               "is set: cross-architecture evaluation is built for SelMatch/MTT and comparison recipes, not DATM/TESLA ones; evaluate the set with `ddist eval SET --model M`");
        return [.. e.All];
    }

    private static bool SameField(string a, string b)
    {
        static string Field(string m) => m.Length > 7 && m.StartsWith("field '", StringComparison.Ordinal) ? m[7..m.IndexOf('\'', 7)] : m;
        return Field(a) == Field(b);
    }

    /// <summary>The matching section's settings, whole, plus the run's seed, folder, method and unrolling mode.</summary>
    public TrajectoryMatchingOptions ToMatchingOptions(string outputDir)
    {
        var o = new TrajectoryMatchingOptions(Matching)
        {
            Seed = Seed, OutputDir = outputDir, Method = Method, EvalIterations = Matching.EvalIterations, SelectOn = Matching.SelectOnMode,
            Unroll = UnrollModes.FromRecipe(Matching.Unroll, Matching.SynSteps, "matching.unroll"),
        };
        // The budget is part of the checkpoint's fingerprint; a run that evaluates nothing keeps the options' default, so
        // the checkpoints of runs made before DATM/TESLA could choose an iteration still resume.
        return Matching.EvalIterations.Length == 0 ? o : o with { EvalBudget = Matching.SelectionBudget };
    }

    /// <summary>Whether the best iteration is chosen (evalIterations given) on a validation split carved from the
    /// training set; only then is one carved, so a recipe without evaluations starts from the same images as before.</summary>
    public bool CarvesValidation => Matching.EvalIterations.Length > 0 && Matching.SelectOnMode == SelectOn.Validation;

    public SoftLabelMatchingOptions ToSoftLabelOptions() => new()
    {
        Labels = Labels, FirstExpertLabels = Matching.Init == "real", LrY = Matching.LrY, MomentumY = Matching.MomentumY, Threshold = Matching.Threshold,
        Range = new MatchingRange(Matching.MinStartEpoch, Matching.MaxStartEpoch, Matching.SequentialGeneration,
                                  Matching.CurrentMaxStartEpoch ?? Matching.MaxStartEpoch, Matching.ExpansionEndEpoch),
    };

    public ExpertOptions ToExpertOptions() => Experts.ToOptions(Seed, DsaStrategy);

    public string DsaStrategy => Matching.DsaStrategy ?? DsaStrategies.ForDataset(Dataset);

    /// <summary>The evaluation protocol; trajectory-matching protocols train with the set's learned step size unless
    /// the recipe states evaluation.lr.</summary>
    public EvalProtocol ToEvalProtocol() => Evaluation.ToProtocol(Dataset, Matching.DsaStrategy);
}
