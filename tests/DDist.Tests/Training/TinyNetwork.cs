using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Training;

/// <summary>A two-layer perceptron over flattened images, optionally with 1-d batch norm between the layers,
/// written against <see cref="INetwork"/> so training code can be tested without the model zoo.
/// Layout: w1 (H×D), b1 (H), [bn.weight (H), bn.bias (H)], w2 (K×H), b2 (K).</summary>
internal sealed class TinyNetwork : INetwork
{
    private readonly int _in, _hidden, _classes;
    public string Name { get; }
    public bool HasBatchNorm { get; }
    public IReadOnlyList<ParamSlot> Layout { get; }
    public long ParameterCount => Layout[^1].Offset + Layout[^1].Count;
    public long EmbeddingSize => _hidden;

    public TinyNetwork(int inputs, int hidden, int classes, bool batchNorm)
    {
        (_in, _hidden, _classes) = (inputs, hidden, classes);
        HasBatchNorm = batchNorm;
        Name = batchNorm ? "TinyBN" : "Tiny";
        var shapes = new List<(string, long[])> { ("w1", [hidden, inputs]), ("b1", [hidden]) };
        if (batchNorm) shapes.AddRange([("bn.weight", [hidden]), ("bn.bias", [hidden])]);
        shapes.AddRange([("w2", [classes, hidden]), ("b2", [classes])]);
        long offset = 0;
        var layout = new List<ParamSlot>();
        foreach (var (n, s) in shapes)
        {
            var slot = new ParamSlot(n, s, offset);
            layout.Add(slot);
            offset += slot.Count;
        }
        Layout = layout;
    }

    public Tensor InitParameters(Device? device = null)
    {
        using var scope = new TensorScope();
        var parts = new List<Tensor>();
        foreach (var slot in Layout)
        {
            double bound = 1 / Math.Sqrt(slot.Name is "w2" or "b2" ? _hidden : _in);   // PyTorch's Linear default
            parts.Add(slot.Name switch
            {
                "bn.weight" => Tensors.Ones([slot.Count]),
                "bn.bias" => Tensors.Zeros([slot.Count]),
                _ => Tensors.Rand([slot.Count]).Mul(2 * bound).Sub(bound),
            });
        }
        return Tensors.Cat(parts).To(device ?? Device.Cpu).DetachFromScope();
    }

    public NetState CreateState(Device? device = null)
    {
        var state = new NetState();
        if (HasBatchNorm) state.Buffers.Add((Tensors.Zeros([_hidden], device: device), Tensors.Ones([_hidden], device: device)));
        return state;
    }

    private Tensor Slot(Tensor flat, string name)
    {
        var s = Layout.First(l => l.Name == name);
        return flat.Narrow(0, s.Offset, s.Count).View(s.Shape);
    }

    public Tensor Embed(Tensor x, Tensor flatParams, NetState? state, bool training)
    {
        var h = Functional.Linear(x.Flatten(1), Slot(flatParams, "w1"), Slot(flatParams, "b1"));
        if (HasBatchNorm)
        {
            var (mean, var) = state is { Buffers.Count: > 0 } ? state.Buffers[0] : (null!, null!);
            h = Functional.BatchNorm(h, Slot(flatParams, "bn.weight"), Slot(flatParams, "bn.bias"), mean, var, training);
        }
        return h.Relu();
    }

    public Tensor Forward(Tensor x, Tensor flatParams, NetState? state, bool training) =>
        Functional.Linear(Embed(x, flatParams, state, training), Slot(flatParams, "w2"), Slot(flatParams, "b2"));
}
