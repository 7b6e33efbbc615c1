using DDist.Torch;

namespace DDist.Training;

/// <summary>torch.optim.Adam (no weight decay, no amsgrad) over a list of tensors, updated in place:
/// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).</summary>
public sealed class Adam(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) : IDisposable
{
    private readonly List<(Tensor M, Tensor V)> _moments = new();
    public int StepCount { get; private set; }

    public void Step(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, double lr)
    {
        if (parameters.Count != grads.Count) throw new ArgumentException($"{parameters.Count} parameters but {grads.Count} gradients");
        if (_moments.Count == 0)
            foreach (var p in parameters)
                _moments.Add((Tensors.Zeros(p.Shape, p.DType, p.Device).DetachFromScope(), Tensors.Zeros(p.Shape, p.DType, p.Device).DetachFromScope()));
        if (_moments.Count != parameters.Count) throw new ArgumentException($"Adam holds moments for {_moments.Count} tensors, got {parameters.Count}");
        StepCount++;
        double bc1 = 1 - Math.Pow(beta1, StepCount), bc2 = 1 - Math.Pow(beta2, StepCount);
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (m, v) = _moments[i];
            var g = grads[i];
            m.MulInPlace(beta1);
            m.AddInPlace(g, 1 - beta1);
            v.MulInPlace(beta2);
            v.AddInPlace(g.Square(), 1 - beta2);
            var denom = v.Sqrt().Div(Math.Sqrt(bc2)).Add(eps);
            parameters[i].AddInPlace(m.Div(denom), -lr / bc1);
        }
    }

    /// <summary>The first and second moments, in parameter order (empty before the first step); for checkpoints.</summary>
    public IReadOnlyList<(Tensor M, Tensor V)> Moments => _moments;

    /// <summary>Restores moments and step count saved from <see cref="Moments"/> and <see cref="StepCount"/> (copied).</summary>
    public void Load(IReadOnlyList<(Tensor M, Tensor V)> moments, int stepCount)
    {
        Dispose();
        using var noGrad = Tensors.NoGrad();
        foreach (var (m, v) in moments) _moments.Add((m.Clone().DetachFromScope(), v.Clone().DetachFromScope()));
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var (m, v) in _moments) { m.Dispose(); v.Dispose(); }
        _moments.Clear();
    }
}
