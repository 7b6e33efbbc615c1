using DDist.Torch;

namespace DDist.Models;

/// <summary>One parameter tensor inside a network's flat parameter vector.</summary>
public sealed record ParamSlot(string Name, long[] Shape, long Offset)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A network defined as a pure function of a flat parameter vector, so that trajectory matching can
/// differentiate through unrolled training (MTT's ReparamModule idea). The layout follows PyTorch's
/// parameters() order, so PyTorch-made trajectories map one to one.</summary>
public interface INetwork
{
    /// <summary>The model name as given to <see cref="ModelZoo.Create"/>, e.g. "ConvNet".</summary>
    string Name { get; }
    long ParameterCount { get; }
    /// <summary>Length of <see cref="Embed"/>'s per-sample feature vector (2048 for ConvNet on 28/32 pixels, 512 for ResNet18).</summary>
    long EmbeddingSize { get; }
    IReadOnlyList<ParamSlot> Layout { get; }
    /// <summary>True when the network has batch norm (running statistics live in a <see cref="NetState"/>).</summary>
    bool HasBatchNorm { get; }

    /// <summary>A fresh flat float32 parameter vector with PyTorch's default initialisation, drawn from libtorch's global RNG.</summary>
    Tensor InitParameters(Device? device = null);

    /// <summary>Fresh running statistics (BN mean 0, var 1); empty for networks without batch norm.</summary>
    NetState CreateState(Device? device = null);

    /// <summary>Logits for images x (N,C,H,W). In training mode batch norm uses batch statistics and, when
    /// <paramref name="state"/> is given, updates its running buffers in place; in eval mode it uses them.</summary>
    Tensor Forward(Tensor x, Tensor flatParams, NetState? state, bool training);

    /// <summary>Penultimate features (flattened, before the classifier), for distribution matching and coverage.</summary>
    Tensor Embed(Tensor x, Tensor flatParams, NetState? state, bool training);
}

/// <summary>Batch-norm running statistics of one network instance, in layer order.</summary>
public sealed class NetState : IDisposable
{
    public List<(Tensor Mean, Tensor Var)> Buffers { get; } = new();
    public static NetState Empty => new();
    public void Dispose()
    {
        foreach (var (m, v) in Buffers) { m.Dispose(); v.Dispose(); }
        Buffers.Clear();
    }
}
