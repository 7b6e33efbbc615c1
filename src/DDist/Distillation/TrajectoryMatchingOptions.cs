using System.Globalization;
using DDist.Distillation.Unrolling;
using DDist.Evaluation;

namespace DDist.Distillation;

/// <summary>Which held-out set picks the best synthetic set among the evaluation points.</summary>
public enum SelectOn
{
    /// <summary>A validation split carved from the training set (the test set stays untouched until the end).</summary>
    Validation,
    /// <summary>The test set, as the MTT/SelMatch reference code does (images_best.pt); results are labelled so.</summary>
    Test,
}

/// <summary>How the student's learnable step size is stored: raw (reference code) or its log (always positive).</summary>
public enum LrParameterization { Raw, Log }

/// <summary>Everything a trajectory-matching run needs (MTT `distill.py`; SelMatch, Lee et al. ICML 2024,
/// `distill.py` and `scripts/distill`): the recipe's <see cref="TrajectoryMatchingSettings"/>, taken over whole by
/// <see cref="TrajectoryMatchingOptions(TrajectoryMatchingSettings)"/>, plus what the run around it decides (seed,
/// output folder, method name, how the best iteration is chosen, how the gradient is computed).</summary>
public sealed record TrajectoryMatchingOptions : TrajectoryMatchingSettings
{
    public TrajectoryMatchingOptions() { }

    /// <summary>The recipe's settings (a <c>distill</c> or <c>matching</c> section), copied whole.</summary>
    public TrajectoryMatchingOptions(TrajectoryMatchingSettings settings) : base(settings) { }

    public LrParameterization LrForm { get; init; } = LrParameterization.Raw;
    /// <summary>Momentum of both the pixel and the step-size SGD (0.5 in every reference).</summary>
    public double Momentum { get; init; } = 0.5;
    public int Seed { get; init; }
    /// <summary>Iterations (0..Iterations) at which the current set is evaluated to pick the best one.</summary>
    public IReadOnlyList<int> EvalIterations { get; init; } = [];
    public SelectOn SelectOn { get; init; } = SelectOn.Validation;
    public EvalBudget EvalBudget { get; init; } = new(300, 3);
    /// <summary>Directory for checkpoint.safetensors, loss.json/csv, synthetic.safetensors and distill.json.</summary>
    public required string OutputDir { get; init; }
    /// <summary>Continue from OutputDir's checkpoint when one exists (made with the same settings).</summary>
    public bool Resume { get; init; } = true;
    /// <summary>How the matching loss is differentiated through the N student steps: full unrolling (the reference),
    /// exact recomputation (same gradient, memory flat in N) or TESLA's approximation.</summary>
    public UnrollMode Unroll { get; init; } = UnrollMode.Full;
    /// <summary>Method name written into the SmallSet ("selmatch", "mtt").</summary>
    public string Method { get; init; } = "selmatch";

    /// <summary>Every problem of the settings and of the run's own fields (field names as a recipe spells them).</summary>
    public void Check(FieldErrors e, int expertEpochs)
    {
        Check(e, expertEpochs, "the experts' epoch count");
        e.Need(Momentum is >= 0 and < 1, "momentum", $"is {Momentum}, expected in [0, 1)");
        foreach (var it in EvalIterations)
            e.Need(it >= 0 && it <= Iterations, "evalIterations", $"holds {it}, expected values in [0, {Iterations}]");
    }

    public void Validate(int expertEpochs)
    {
        var e = new FieldErrors();
        Check(e, expertEpochs);
        e.ThrowIfAny("trajectory-matching options");
    }

    /// <summary>Everything that changes the result except the run length and checkpoint cadence, so a checkpoint
    /// is only resumed by the same experiment (a longer run may continue a shorter one). Full and exact unrolling
    /// compute the same gradient (up to round-off), so a run may resume across them; TESLA's approximation is a
    /// different method and is part of the fingerprint.</summary>
    public string Fingerprint() => string.Create(CultureInfo.InvariantCulture,
        $"N={SynSteps}|M={ExpertEpochs}|T={MaxStartEpoch}|b={BatchSyn}|lrimg={LrImg:R}|lrlr={LrLr:R}|lr0={LrInit:R}|{LrForm}|mom={Momentum:R}|seed={Seed}|eval=[{string.Join(",", EvalIterations)}]|{SelectOn}|{EvalBudget.Epochs}x{EvalBudget.Nets}|{Method}")
        + (UnrollModes.IsExact(Unroll) ? "" : $"|unroll={UnrollModes.Name(Unroll)}")
        + (EmaDecay is double d ? string.Create(CultureInfo.InvariantCulture, $"|ema={d:R}") : "");   // runs without an average keep their fingerprints
}
