using DDist.Torch;

namespace DDist.Training;

/// <summary>Surrogate-gap guided sharpness-aware minimisation (GSAM; Zhuang et al., ICLR 2022), the optimiser FTD
/// (Du et al., "Minimizing the Accumulated Trajectory Error to Improve Dataset Distillation", CVPR 2023) trains its
/// experts with so that their trajectories are flat, and DATM's `buffer_FTD.py` keeps for its buffers. One step, over
/// the flat parameter vector p with minibatch gradient g:
///   e = ρ·g / (‖g‖ + ε)   (adaptive, ASAM's form: e = ρ·g·p² / (‖ |p|·g ‖ + ε));
///   g' = ∇L(p + e), on the same minibatch and augmentation, batch-norm running statistics left alone;
///   the part of g orthogonal to g', v = g − (g·g' / ‖g‖‖g'‖)·‖g‖·g'/‖g'‖, is descended: d = g' − α·v;
/// and the base optimiser (SGD) steps from p with d. ε = 1e-12; ρ is constant, as `buffer_FTD.py`'s proportion
/// scheduler gives it for a constant learning rate (rho_max = rho_min). The arithmetic follows the `gsam` package
/// operation by operation (p + e, then (p + e) − e), so a trajectory agrees with PyTorch's to float32 round-off.</summary>
public sealed record SharpnessAware
{
    /// <summary>The perturbation radius ρ (`--rho_max`, `--rho_min`; 0.01 in DATM's and FTD's commands).</summary>
    public required double Rho { get; init; }
    /// <summary>GSAM's α, the weight of the ascent along the surrogate gap (`--alpha`; 0.3 in DATM's README command,
    /// 0.4 `buffer_FTD.py`'s default).</summary>
    public required double Alpha { get; init; }
    /// <summary>ASAM's scale-invariant perturbation (`--adaptive`, True by default in `buffer_FTD.py`, whose
    /// `type=bool` argument no command line turns off).</summary>
    public bool Adaptive { get; init; } = true;

    public const double Epsilon = 1e-12;

    /// <summary>"GSAM ρ 0.01, α 0.3, adaptive", as logs and reports name the settings.</summary>
    public string Describe() => FormattableString.Invariant($"GSAM ρ {Rho:G4}, α {Alpha:G4}{(Adaptive ? ", adaptive" : "")}");

    /// <summary>The first setting out of range, as (its name, what it must be: "GSAM's rho must be …"); null when both are fine.</summary>
    public (string Setting, string Rule)? Invalid() =>
        !(Rho > 0) || double.IsInfinity(Rho) ? ("rho", "GSAM's rho must be a positive number")
        : !(Alpha >= 0) || double.IsInfinity(Alpha) ? ("alpha", "GSAM's alpha must be a number ≥ 0")
        : null;

    public void Validate()
    {
        if (Invalid() is var (setting, rule)) throw new ArgumentOutOfRangeException(setting == "rho" ? nameof(Rho) : nameof(Alpha), setting == "rho" ? Rho : Alpha, rule);
    }

    /// <summary>GSAM's descent direction at <paramref name="parameters"/> (a leaf that requires grad) given the
    /// minibatch gradient <paramref name="grad"/> there. <paramref name="lossAt"/> computes the same minibatch's loss
    /// at the parameters as they are when it is called (perturbed); they are restored before this returns.</summary>
    public Tensor Direction(Tensor parameters, Tensor grad, Func<Tensor> lossAt)
    {
        Tensor perturbation;
        using (Tensors.NoGrad())
        {
            var norm = (Adaptive ? parameters.Abs().Mul(grad) : grad).Norm();
            perturbation = grad.Mul(Rho / norm.Add(Epsilon));
            if (Adaptive) perturbation = perturbation.Mul(parameters.Pow(2));
            parameters.AddInPlace(perturbation);
        }
        var perturbedGrad = Autograd.Grad(lossAt(), parameters);
        using var noGrad = Tensors.NoGrad();
        var innerProduct = grad.Mul(perturbedGrad).Sum();
        var perturbedNorm = perturbedGrad.Norm();
        var gradNorm = grad.Norm();
        var cosine = innerProduct / perturbedNorm.Mul(gradNorm).Add(Epsilon);
        var vertical = grad.Sub(cosine.Mul(gradNorm).Mul(perturbedGrad).Div(perturbedNorm.Add(Epsilon)));
        var direction = perturbedGrad.Add(vertical, -Alpha);
        parameters.AddInPlace(perturbation, -1);
        return direction;
    }
}
