using System.Globalization;
using DDist.Distillation.Unrolling;
using DDist.Selection;

namespace DDist.Distillation;

/// <summary>Which held-out set picks the best synthetic set among the evaluation points.</summary>
public enum SelectOn
{
    /// <summary>A validation split carved from the training set (the test set stays untouched until the end).</summary>
    Validation,
    /// <summary>The test set, as the MTT/SelMatch reference code does (images_best.pt); results are labelled so.</summary>
    Test,
}

/// <summary>How the learnable step size is stored: raw α (reference code) or log α (always positive).</summary>
public enum LrParameterization { Raw, Log }

/// <summary>Hyper-parameters of trajectory matching with SelMatch's partial update (MTT `distill.py`; SelMatch, Lee
/// et al. ICML 2024, `distill.py` and `scripts/distill`).</summary>
public sealed record TrajectoryMatchingOptions
{
    /// <summary>Outer iterations (each: one expert segment, SynSteps unrolled student steps, one image update).</summary>
    public int Iterations { get; init; } = 1000;
    /// <summary>N: unrolled student steps on the synthetic set per iteration.</summary>
    public int SynSteps { get; init; } = 20;
    /// <summary>M: expert epochs the N student steps must match.</summary>
    public int ExpertEpochs { get; init; } = 2;
    /// <summary>Start epoch t is uniform in [0, MaxStartEpoch − 1].</summary>
    public int MaxStartEpoch { get; init; } = 20;
    /// <summary>Student mini-batch size; null = the whole synthetic set per step.</summary>
    public int? BatchSyn { get; init; }
    public double LrImg { get; init; } = 1000;
    public double LrLr { get; init; } = 1e-5;
    /// <summary>Initial student step size α₀ (SEL 0.001, MTT 0.01).</summary>
    public double LrInit { get; init; } = 0.01;
    public LrParameterization LrForm { get; init; } = LrParameterization.Raw;
    /// <summary>Momentum of both the pixel and the step-size SGD (0.5 in every reference).</summary>
    public double Momentum { get; init; } = 0.5;
    public int Seed { get; init; }
    /// <summary>Write a checkpoint every this many iterations (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 50;
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

    public void Validate(int expertEpochs)
    {
        void Need(bool ok, string field, string what) { if (!ok) throw new ArgumentOutOfRangeException(field, $"field '{field}' {what}"); }
        Need(Iterations >= 0, nameof(Iterations), $"is {Iterations}, expected ≥ 0");
        Need(SynSteps >= 1, nameof(SynSteps), $"is {SynSteps}, expected ≥ 1");
        Need(ExpertEpochs >= 1, nameof(ExpertEpochs), $"is {ExpertEpochs}, expected ≥ 1");
        Need(MaxStartEpoch >= 1, nameof(MaxStartEpoch), $"is {MaxStartEpoch}, expected ≥ 1");
        Need(MaxStartEpoch - 1 + ExpertEpochs <= expertEpochs, nameof(MaxStartEpoch),
             $"is {MaxStartEpoch} with ExpertEpochs {ExpertEpochs}: needs snapshot {MaxStartEpoch - 1 + ExpertEpochs}, the experts have {expertEpochs} epochs");
        Need(BatchSyn is null or >= 1, nameof(BatchSyn), $"is {BatchSyn}, expected ≥ 1 or null (whole set)");
        Need(LrInit > 0, nameof(LrInit), $"is {LrInit}, expected > 0");
        Need(LrImg > 0 && LrLr >= 0, nameof(LrImg), $"LrImg {LrImg} / LrLr {LrLr}: expected LrImg > 0 and LrLr ≥ 0");
        Need(Momentum is >= 0 and < 1, nameof(Momentum), $"is {Momentum}, expected in [0, 1)");
        Need(CheckpointEvery >= 0, nameof(CheckpointEvery), $"is {CheckpointEvery}, expected ≥ 0");
        foreach (var e in EvalIterations)
            Need(e >= 0 && e <= Iterations, nameof(EvalIterations), $"holds {e}, expected values in [0, {Iterations}]");
    }

    /// <summary>Everything that changes the result except the run length and checkpoint cadence, so a checkpoint
    /// is only resumed by the same experiment (a longer run may continue a shorter one). Full and exact unrolling
    /// compute the same gradient (up to round-off), so a run may resume across them; TESLA's approximation is a
    /// different method and is part of the fingerprint.</summary>
    public string Fingerprint() => string.Create(CultureInfo.InvariantCulture,
        $"N={SynSteps}|M={ExpertEpochs}|T={MaxStartEpoch}|b={BatchSyn}|lrimg={LrImg:R}|lrlr={LrLr:R}|lr0={LrInit:R}|{LrForm}|mom={Momentum:R}|seed={Seed}|eval=[{string.Join(",", EvalIterations)}]|{SelectOn}|{EvalBudget.Epochs}x{EvalBudget.Nets}|{Method}")
        + (UnrollModes.IsExact(Unroll) ? "" : $"|unroll={UnrollModes.Name(Unroll)}");
}
