using DDist.Torch;

namespace DDist.Distillation.Unrolling;

/// <summary>One differentiation through N inner SGD steps θ_{i+1} = θ_i − α_i ∇_θ ℓ_i(θ_i), followed by a terminal
/// loss L(θ_N). The engine (<see cref="UnrolledGradient"/>) returns ∂L/∂images, ∂L/∂α and ∂L/∂extra.
/// Everything here is read as a value: the engine differentiates its own detached copies, so callers whose images
/// or step size are functions of their real leaves (a concatenation, α = exp(r)) chain the returned gradients back
/// with one <see cref="Autograd.Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, bool, bool?, bool)"/> call with grad outputs.</summary>
public sealed record UnrollProblem
{
    /// <summary>Student logits for images x at the flat parameter vector θ (train mode, no running-state update).</summary>
    public required Func<Tensor, Tensor, Tensor> Forward { get; init; }
    /// <summary>The whole learnable image set (N, C, H, W); each step sees <c>Images[batch]</c>.</summary>
    public required Tensor Images { get; init; }
    /// <summary>The inner loss of one step (cross-entropy for MTT/DD, soft cross-entropy with <see cref="Extra"/>).</summary>
    public required StepLoss StepLoss { get; init; }
    /// <summary>An optional further leaf the step loss reads (learnable labels); its gradient is returned.</summary>
    public Tensor? Extra { get; init; }
    /// <summary>Step size α: a 0-d tensor (one α for every step, MTT) or a vector with one α_i per step (DD/SLD).</summary>
    public required Tensor StepSize { get; init; }
    /// <summary>θ_0, the flat starting parameters (not differentiated).</summary>
    public required Tensor Theta0 { get; init; }
    public required int Steps { get; init; }
    /// <summary>Indices (int64) of step i's mini-batch, called once per step in order during the forward pass; the
    /// engine takes ownership of the returned tensor. It may draw from libtorch's generator.</summary>
    public required Func<int, Tensor> NextBatch { get; init; }
    /// <summary>Differentiable augmentation of a mini-batch (DSA) drawing from libtorch's default generators (the
    /// CPU's, and the images' GPU's when they live on one), or null. To replay a step bit for bit the engine records
    /// both generators' states before each call and restores them when recomputing; afterwards they are where the
    /// forward pass left them.</summary>
    public Func<Tensor, Tensor>? Augment { get; init; }
    /// <summary>L(θ_N), a differentiable scalar: ‖θ_N − θ*‖² / ‖θ_0 − θ*‖² for MTT, CE on a real batch for DD. The
    /// reverse modes start from its gradient λ_N = ∇L(θ_N).</summary>
    public required Func<Tensor, Tensor> TerminalLoss { get; init; }
    /// <summary>Keep the θ_i checkpoints of <see cref="UnrollMode.Exact"/>/<see cref="UnrollMode.Tesla"/> in host
    /// memory when θ lives on a GPU (each is copied back for its step of the reverse walk).</summary>
    public bool CheckpointsOnHost { get; init; } = true;
}

/// <summary>What <see cref="UnrolledGradient.Compute"/> returns; owns its tensors.</summary>
/// <param name="Loss">L(θ_N).</param>
/// <param name="Images">∂L/∂images, the shape of <see cref="UnrollProblem.Images"/>.</param>
/// <param name="StepSize">∂L/∂α, the shape of <see cref="UnrollProblem.StepSize"/>.</param>
/// <param name="Extra">∂L/∂extra, or null without an extra leaf.</param>
/// <param name="Exact">False for <see cref="UnrollMode.Tesla"/>: the gradient is an approximation.</param>
public sealed record UnrollGradients(double Loss, Tensor Images, Tensor StepSize, Tensor? Extra, bool Exact) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        StepSize.Dispose();
        Extra?.Dispose();
    }
}
