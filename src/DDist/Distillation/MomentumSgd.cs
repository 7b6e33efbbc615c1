using DDist.Torch;

namespace DDist.Distillation;

/// <summary>PyTorch's SGD for one tensor (dampening 0, no Nesterov): d = grad + wd·p; buf = μ·buf + d
/// (buf starts at 0, which equals PyTorch's "first step buf = d"); p ← p − lr·buf. The buffer is exposed so a
/// checkpoint can save and restore it.</summary>
public sealed class MomentumSgd : IDisposable
{
    public double Lr { get; }
    public double Momentum { get; }
    public double WeightDecay { get; }
    /// <summary>The momentum buffer, same shape as the parameter.</summary>
    public Tensor Buffer { get; }

    public MomentumSgd(Tensor parameter, double lr, double momentum, double weightDecay = 0)
    {
        Lr = lr;
        Momentum = momentum;
        WeightDecay = weightDecay;
        using var noGrad = Tensors.NoGrad();
        Buffer = Tensors.Zeros(parameter.Shape, parameter.DType, parameter.Device).DetachFromScope();
    }

    /// <summary>Updates <paramref name="parameter"/> in place from <paramref name="grad"/>.</summary>
    public void Step(Tensor parameter, Tensor grad)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var d = WeightDecay == 0 ? grad : grad.Add(parameter, WeightDecay);
        Buffer.MulInPlace(Momentum);
        Buffer.AddInPlace(d);
        parameter.AddInPlace(Buffer, -Lr);
    }

    public void Dispose() => Buffer.Dispose();
}
