using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Distillation.Unrolled;

/// <summary>DD's outer loss (Wang et al. 2018, `train_distilled_image.py` forward/backward): from w₀ take T plain GD
/// steps w ← w − α_t ∇ℓ(f(x_{t mod S}; w), ỹ_{t mod S}) with soft cross-entropy ℓ, keeping every step's graph
/// (createGraph), then L = CE(f(R; w_T), y_R) on a real batch. Differentiating L through the unrolled graph gives
/// exactly the official code's manual adjoint loop (λ_t = λ_{t+1} − α_t H_t λ_{t+1}, ∂L/∂α_t = −∇ℓ_tᵀλ_{t+1}),
/// with memory growing with T, as the official code's retained graphs do.</summary>
/// <remarks><see cref="Loss"/> is the "retain graphs" backend; <see cref="Gradients"/> also runs the same problem
/// through the bounded-memory exact reverse pass of <see cref="UnrolledGradient"/> (the adjoint loop of the official
/// code, each step's graph rebuilt from the stored weights instead of kept).</remarks>
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

    /// <summary>L and its gradients with respect to the learned tensors, in the order images (S), then the label rows
    /// (S, only when <paramref name="learnLabels"/>), then <paramref name="raw"/> (α = softplus r), by full unrolling
    /// (<see cref="Loss"/> differentiated once) or by exact recomputation (<see cref="UnrolledGradient"/>: the same
    /// gradient up to round-off, memory flat in T). Call inside a TensorScope.</summary>
    public static (double Loss, Tensor[] Grads) Gradients(INetwork net, Tensor w0, IReadOnlyList<Tensor> images, IReadOnlyList<Tensor> targets,
                                                          Tensor raw, bool learnLabels, Tensor realImages, Tensor realLabels, UnrollMode mode)
    {
        var learned = new List<Tensor>(images);
        if (learnLabels) learned.AddRange(targets);
        learned.Add(raw);
        if (mode == UnrollMode.Full)
        {
            var loss = Loss(net, w0, images, targets, StepSizes(raw), realImages, realLabels);
            return (loss.Item(), Autograd.Grad([loss], learned).Select(g => g!).ToArray());
        }
        if (mode != UnrollMode.Exact)
            throw new ArgumentException($"unroll mode '{UnrollModes.Name(mode)}': DD and soft-label DD take 'full' or 'exact'");
        if (images.Count != targets.Count || images.Count == 0)
            throw new ArgumentException($"{images.Count} image batches but {targets.Count} label batches");

        // One problem over the concatenated step batches: step t reads rows of batch t mod S, in their order.
        long perStep = images[0].Size(0);
        int batches = images.Count;
        var device = images[0].Device;
        var allImages = Tensors.Cat(images.ToArray());
        var allTargets = Tensors.Cat(targets.ToArray());
        var constantTargets = allTargets.Detach();
        var alphas = StepSizes(raw);
        var problem = new UnrollProblem
        {
            Forward = (x, w) => net.Forward(x, w, null, training: true),
            Images = allImages,
            Extra = learnLabels ? allTargets : null,
            StepLoss = (logits, idx, labels) => SoftCrossEntropy.Loss(logits, (labels ?? constantTargets).IndexSelect(0, idx)),
            StepSize = alphas,
            Theta0 = w0,
            Steps = (int)alphas.NumEl,
            NextBatch = t => Tensors.Arange((t % batches) * perStep, (t % batches + 1) * perStep, 1, DType.Int64, device).DetachFromScope(),
            TerminalLoss = w => Functional.CrossEntropy(net.Forward(realImages, w, null, training: false), realLabels),
        };
        using var g = UnrolledGradient.Compute(problem, UnrollMode.Exact);
        // The engine differentiates values; chain its gradients back through the concatenations and the softplus.
        var grads = learnLabels
            ? Autograd.Grad([allImages, allTargets, alphas], learned, [g.Images, g.Extra!, g.StepSize])
            : Autograd.Grad([allImages, alphas], learned, [g.Images, g.StepSize]);
        return (g.Loss, grads.Select(t => t!).ToArray());
    }
}
