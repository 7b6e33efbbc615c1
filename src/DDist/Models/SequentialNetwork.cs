using DDist.Models.Layers;
using DDist.Torch;

namespace DDist.Models;

/// <summary>A network as a pure function of its flat parameter vector: a feature extractor (whose flattened
/// output is the embedding) followed by a head. Every family in the model zoo is one of these.</summary>
public sealed class SequentialNetwork : INetwork
{
    private readonly ParamSlot[] _slots;
    private readonly ParamInit[] _inits;
    private readonly long[] _batchNormChannels;
    private readonly long[] _splitSizes;
    private readonly ILayer[] _features;
    private readonly ILayer[] _head;

    internal SequentialNetwork(string name, FeatureShape input, ParamSlot[] slots, ParamInit[] inits, long[] batchNormChannels,
                               ILayer[] features, ILayer[] head, long embeddingSize)
    {
        Name = name;
        InputShape = input;
        _slots = slots;
        _inits = inits;
        _batchNormChannels = batchNormChannels;
        _features = features;
        _head = head;
        _splitSizes = slots.Select(s => s.Count).ToArray();
        ParameterCount = _splitSizes.Sum();
        EmbeddingSize = embeddingSize;
    }

    public string Name { get; }
    /// <summary>The per-sample input shape the network was built for.</summary>
    public FeatureShape InputShape { get; }
    public long ParameterCount { get; }
    /// <summary>Length of <see cref="Embed"/>'s per-sample feature vector.</summary>
    public long EmbeddingSize { get; }
    public IReadOnlyList<ParamSlot> Layout => _slots;
    public bool HasBatchNorm => _batchNormChannels.Length > 0;
    /// <summary>Channels of each batch-norm layer, in the order of <see cref="NetState.Buffers"/>.</summary>
    public IReadOnlyList<long> BatchNormChannels => _batchNormChannels;

    public Tensor InitParameters(Device? device = null)
    {
        var flat = Tensors.Empty([ParameterCount], DType.Float32, device);
        using var noGrad = Tensors.NoGrad();
        using var scope = new TensorScope();
        var pieces = flat.Split(_splitSizes);
        for (int i = 0; i < pieces.Length; i++)
        {
            // One draw per tensor in parameters() order, as PyTorch's module constructors do.
            var init = _inits[i];
            if (init.Constant is double c) pieces[i].Fill(c);
            else pieces[i].UniformInPlace(-init.Bound, init.Bound);
        }
        return flat;
    }

    public NetState CreateState(Device? device = null)
    {
        var state = new NetState();
        foreach (var c in _batchNormChannels)
            state.Buffers.Add((Tensors.Zeros([c], DType.Float32, device).DetachFromScope(),
                               Tensors.Ones([c], DType.Float32, device).DetachFromScope()));
        return state;
    }

    public Tensor Forward(Tensor x, Tensor flatParams, NetState? state, bool training)
    {
        using var scope = new TensorScope();
        var ctx = Prepare(x, flatParams, state, training);
        var features = Run(_features, x, ctx);
        var flat = features.Flatten(1);
        var logits = Run(_head, flat, ctx);
        return logits.MoveToOuterScope();
    }

    public Tensor Embed(Tensor x, Tensor flatParams, NetState? state, bool training)
    {
        using var scope = new TensorScope();
        var ctx = Prepare(x, flatParams, state, training);
        var features = Run(_features, x, ctx);
        return features.Flatten(1).MoveToOuterScope();
    }

    /// <summary>Applies layers in order, freeing each intermediate as soon as the next exists (autograd keeps
    /// what it needs), so that no-grad evaluation runs in the memory of about two activations.</summary>
    private static Tensor Run(ILayer[] layers, Tensor x, ForwardContext ctx)
    {
        var h = x;
        foreach (var layer in layers)
        {
            var next = layer.Apply(h, ctx);
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = next;
        }
        return h;
    }

    private ForwardContext Prepare(Tensor x, Tensor flatParams, NetState? state, bool training)
    {
        var shape = x.Shape;
        if (shape.Length != 4 || shape[1] != InputShape.Channels || shape[2] != InputShape.Height || shape[3] != InputShape.Width)
            throw new ArgumentException($"{Name}: input has shape [{string.Join(", ", shape)}], expected [N, {InputShape.Channels}, {InputShape.Height}, {InputShape.Width}]", nameof(x));
        var pshape = flatParams.Shape;
        if (pshape.Length != 1 || pshape[0] != ParameterCount)
            throw new ArgumentException($"{Name}: flat parameters have shape [{string.Join(", ", pshape)}], expected [{ParameterCount}]", nameof(flatParams));
        if (state is not null && HasBatchNorm && state.Buffers.Count != _batchNormChannels.Length)
            throw new ArgumentException($"{Name}: state holds {state.Buffers.Count} batch-norm buffers, the network has {_batchNormChannels.Length}", nameof(state));
        // One split (whose backward is a single concatenation) instead of a narrow per slot (each of whose
        // backward passes would materialise a zero-filled gradient of the whole vector).
        var pieces = flatParams.Split(_splitSizes);
        var views = new Tensor[pieces.Length];
        for (int i = 0; i < pieces.Length; i++)
            views[i] = _slots[i].Shape.Length == 1 ? pieces[i] : pieces[i].View(_slots[i].Shape);
        return new ForwardContext(views, HasBatchNorm ? state : null, training);
    }
}
