using DDist.Torch;

namespace DDist.Training;

/// <summary>torch.optim.SGD (dampening 0) over one flat parameter vector. Per element:
/// d = g + wd·p;  buf = d on the first step, else μ·buf + d;  p ← p − lr·buf  (without momentum: p ← p − lr·d);
/// with Nesterov (Sutskever et al. 2013, as PyTorch formulates it) the step is d + μ·buf instead of buf.
/// Elementwise, so updating the flat vector equals PyTorch's per-tensor loop bit for bit.</summary>
public sealed class Sgd : IDisposable
{
    public double Momentum { get; }
    public double WeightDecay { get; }
    /// <summary>Nesterov momentum (torch.optim.SGD nesterov=True); needs momentum &gt; 0, as PyTorch requires.</summary>
    public bool Nesterov { get; }

    /// <summary>The momentum buffer; null before the first step, after <see cref="Reset"/>, or when momentum is 0.</summary>
    public Tensor? MomentumBuffer { get; private set; }

    public Sgd(double momentum = 0, double weightDecay = 0, bool nesterov = false)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be ≥ 0");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be ≥ 0");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum > 0 (momentum is 0)", nameof(nesterov));
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>Updates <paramref name="parameters"/> in place with gradient <paramref name="grad"/>.</summary>
    public void Step(Tensor parameters, Tensor grad, double lr)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var d = WeightDecay != 0 ? grad.Add(parameters, WeightDecay) : grad;
        if (Momentum != 0)
        {
            if (MomentumBuffer is null)
                MomentumBuffer = d.Clone().Detach().DetachFromScope();
            else
            {
                MomentumBuffer.MulInPlace(Momentum);
                MomentumBuffer.AddInPlace(d);
            }
            d = Nesterov ? d.Add(MomentumBuffer, Momentum) : MomentumBuffer;
        }
        parameters.AddInPlace(d, -lr);
    }

    /// <summary>Forgets the momentum buffer, as constructing a fresh torch.optim.SGD does.</summary>
    public void Reset()
    {
        MomentumBuffer?.Dispose();
        MomentumBuffer = null;
    }

    /// <summary>Restores a momentum buffer saved from <see cref="MomentumBuffer"/> (copied; null clears it).</summary>
    public void LoadMomentumBuffer(Tensor? buffer)
    {
        Reset();
        if (buffer is null) return;
        using var noGrad = Tensors.NoGrad();
        MomentumBuffer = buffer.Clone().DetachFromScope();
    }

    public void Dispose() => Reset();
}
