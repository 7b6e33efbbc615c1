using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Distillation.Unrolled;

/// <summary>DD's outer loss (Wang et al. 2018, `train_distilled_image.py` forward/backward): from w₀ take T plain GD
/// steps w ← w − α_t ∇ℓ(f(x_{t mod S}; w), ỹ_{t mod S}) with soft cross-entropy ℓ, keeping every step's graph
/// (createGraph), then L = CE(f(R; w_T), y_R) on a real batch. Differentiating L through the unrolled graph gives
/// exactly the official code's manual adjoint loop (λ_t = λ_{t+1} − α_t H_t λ_{t+1}, ∂L/∂α_t = −∇ℓ_tᵀλ_{t+1}),
/// with memory growing with T, as the official code's retained graphs do.</summary>
/// <remarks>This is the "retain graphs" backend of an unrolled reverse pass; a bounded-memory engine can replace
/// <see cref="Loss"/> as long as it returns the same L and gradients for images, targets and α.</remarks>
public static class DdUnroll
{
    /// <summary>α = softplus(r) (official code: `F.softplus(raw_distill_lrs)`), so step sizes stay positive.</summary>
    public static Tensor StepSizes(Tensor raw) => raw.Exp().Log1p();

    /// <summary>r₀ = log(expm1(α₀)), so that softplus(r₀) = α₀.</summary>
    public static double RawFor(double alpha) => Math.Log(Math.Exp(alpha) - 1);

    /// <param name="w0">Initial flat weights (constant).</param>
    /// <param name="images">The S step batches.</param>
    /// <param name="targets">Their label rows (N_s, K): one-hot for DD, learned raw rows for soft-label DD.</param>
    /// <param name="alphas">T = S·E step sizes (T).</param>
    /// <returns>The scalar loss attached to the unrolled graph; call inside a TensorScope.</returns>
    public static Tensor Loss(INetwork net, Tensor w0, IReadOnlyList<Tensor> images, IReadOnlyList<Tensor> targets, Tensor alphas,
                              Tensor realImages, Tensor realLabels)
    {
        if (images.Count != targets.Count || images.Count == 0)
            throw new ArgumentException($"{images.Count} image batches but {targets.Count} label batches");
        long steps = alphas.NumEl;
        var w = w0.Detach().RequiresGrad_();
        for (int t = 0; t < steps; t++)
        {
            int s = t % images.Count;
            var inner = SoftCrossEntropy.Loss(net.Forward(images[s], w, null, training: true), targets[s]);
            var g = Autograd.Grad([inner], [w], createGraph: true)[0]!;
            w = w - alphas.Select(0, t) * g;
        }
        return Functional.CrossEntropy(net.Forward(realImages, w, null, training: false), realLabels);
    }
}
