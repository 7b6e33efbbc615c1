using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>Assembles a <see cref="SequentialNetwork"/>: layers register their parameters here in PyTorch's
/// parameters() order (which fixes each <see cref="ParamSlot"/>'s offset in the flat vector) and are appended
/// to the feature extractor while the builder tracks the activation shape.</summary>
internal sealed class NetworkBuilder
{
    private readonly List<ParamSlot> _slots = new();
    private readonly List<ParamInit> _inits = new();
    private readonly List<long> _batchNormChannels = new();
    private readonly List<ILayer> _features = new();
    private long _offset;

    public NetworkBuilder(string name, FeatureShape input)
    {
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
            throw new ArgumentException($"{name}: input shape {input} must be positive in every dimension");
        Name = name;
        Input = input;
        Shape = input;
    }

    public string Name { get; }
    public FeatureShape Input { get; }
    /// <summary>The per-sample shape after the layers added so far.</summary>
    public FeatureShape Shape { get; private set; }
    /// <summary>Index of the next module in a PyTorch nn.Sequential, for state_dict-style parameter names.</summary>
    public int ModuleIndex { get; set; }

    /// <summary>Registers one parameter tensor and returns its slot index.</summary>
    public int AddParam(string name, long[] shape, ParamInit init)
    {
        var slot = new ParamSlot(name, shape, _offset);
        _slots.Add(slot);
        _inits.Add(init);
        _offset += slot.Count;
        return _slots.Count - 1;
    }

    /// <summary>Registers the running statistics of one batch-norm layer and returns their index in <see cref="NetState.Buffers"/>.</summary>
    public int AddBatchNormBuffers(long channels)
    {
        _batchNormChannels.Add(channels);
        return _batchNormChannels.Count - 1;
    }

    /// <summary>Appends a feature layer and advances the tracked shape.</summary>
    public NetworkBuilder Add(ILayer layer)
    {
        var next = layer.OutputShape(Shape);
        if (next.Channels < 1 || next.Height < 1 || next.Width < 1)
            throw new ArgumentException($"{Name}: input {Input} is too small, a {layer.GetType().Name} would turn {Shape} into {next}");
        _features.Add(layer);
        Shape = next;
        return this;
    }

    /// <summary>Closes the feature extractor (its flattened output is the embedding) and adds the head.</summary>
    public SequentialNetwork Build(IReadOnlyList<ILayer> head, long embeddingSize) =>
        new(Name, Input, _slots.ToArray(), _inits.ToArray(), _batchNormChannels.ToArray(), _features.ToArray(), head.ToArray(), embeddingSize);
}
