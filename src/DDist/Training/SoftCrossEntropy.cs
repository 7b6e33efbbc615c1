using DDist.Torch;

namespace DDist.Training;

/// <summary>Cross-entropy against per-image target rows: −Σ_k ỹ_k log softmax(z)_k, mean over the batch. Written out
/// (rather than libtorch's probability-target cross-entropy) because soft-label DD's targets are raw and may be
/// negative or not sum to one (Sucholutsky &amp; Schonlau, `basics.py`); for probability rows both agree.</summary>
public static class SoftCrossEntropy
{
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        if (logits.Dim != 2 || targets.Dim != 2 || logits.Size(0) != targets.Size(0) || logits.Size(1) != targets.Size(1))
            throw new ArgumentException($"soft cross-entropy: logits {logits} and targets {targets} must both be (N, K)");
        using var scope = new TensorScope();
        return targets.Mul(logits.LogSoftmax(1)).Sum(1).Mean().Neg().MoveToOuterScope();
    }
}
