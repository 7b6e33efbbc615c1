using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>Creates the norm layer the reference uses for a <see cref="NormKind"/> (γ = 1, β = 0, eps 1e-5).</summary>
internal static class NormLayers
{
    /// <summary>The layer for <paramref name="kind"/> over the given activation shape, or null for NormKind.None.</summary>
    public static ILayer? Create(NetworkBuilder b, string name, NormKind kind, FeatureShape shape) => kind switch
    {
        NormKind.None => null,
        NormKind.InstanceNorm => new GroupNormLayer(b, name, shape.Channels, shape.Channels),
        NormKind.GroupNorm => new GroupNormLayer(b, name, 4, shape.Channels),
        NormKind.BatchNorm => new BatchNormLayer(b, name, shape.Channels),
        NormKind.LayerNorm => new LayerNormLayer(b, name, shape),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown norm"),
    };
}

/// <summary>GroupNorm(groups, C) with affine γ, β; groups = C is the reference's "instancenorm".</summary>
internal sealed class GroupNormLayer : ILayer
{
    private readonly int _weight, _bias, _groups;

    public GroupNormLayer(NetworkBuilder b, string name, long groups, long channels)
    {
        if (channels % groups != 0) throw new ArgumentException($"{b.Name}: {name} has {channels} channels, not divisible into {groups} groups");
        _groups = (int)groups;
        _weight = b.AddParam($"{name}.weight", [channels], ParamInit.Ones);
        _bias = b.AddParam($"{name}.bias", [channels], ParamInit.Zeros);
    }

    /// <summary>True when this layer also applies the ReLU that follows it (one fused kernel per derivative order).</summary>
    public bool FusedRelu { get; private set; }

    /// <summary>Makes this layer apply the ReLU that follows it; the caller then leaves that activation out.</summary>
    public void FuseRelu() => FusedRelu = true;

    public Tensor Apply(Tensor x, ForwardContext ctx) => FusedRelu
        ? Functional.GroupNormRelu(x, _groups, ctx.Param(_weight), ctx.Param(_bias))
        : Functional.GroupNorm(x, _groups, ctx.Param(_weight), ctx.Param(_bias));

    public FeatureShape OutputShape(FeatureShape s) => s;
}

/// <summary>LayerNorm over (C, H, W) with elementwise γ, β of that shape.</summary>
internal sealed class LayerNormLayer : ILayer
{
    private readonly int _weight, _bias;
    private readonly long[] _shape;

    public LayerNormLayer(NetworkBuilder b, string name, FeatureShape shape)
    {
        _shape = [shape.Channels, shape.Height, shape.Width];
        _weight = b.AddParam($"{name}.weight", _shape, ParamInit.Ones);
        _bias = b.AddParam($"{name}.bias", _shape, ParamInit.Zeros);
    }

    public Tensor Apply(Tensor x, ForwardContext ctx) => Functional.LayerNorm(x, _shape, ctx.Param(_weight), ctx.Param(_bias));
    public FeatureShape OutputShape(FeatureShape s) => s;
}

/// <summary>BatchNorm2d: batch statistics in training (updating the running buffers, momentum 0.1, when a
/// <see cref="NetState"/> is given), running statistics in eval.</summary>
internal sealed class BatchNormLayer : ILayer
{
    private readonly int _weight, _bias, _buffers;
    private readonly string _where;

    public BatchNormLayer(NetworkBuilder b, string name, long channels)
    {
        _where = $"{b.Name} {name}";
        _weight = b.AddParam($"{name}.weight", [channels], ParamInit.Ones);
        _bias = b.AddParam($"{name}.bias", [channels], ParamInit.Zeros);
        _buffers = b.AddBatchNormBuffers(channels);
    }

    public Tensor Apply(Tensor x, ForwardContext ctx)
    {
        var running = ctx.Running(_buffers);
        if (!ctx.Training && running is null)
            throw new InvalidOperationException($"{_where}: batch norm in eval mode needs the running statistics; pass the NetState from CreateState()");
        return Functional.BatchNorm(x, ctx.Param(_weight), ctx.Param(_bias), running?.Mean, running?.Var, ctx.Training, momentum: 0.1, eps: 1e-5);
    }

    public FeatureShape OutputShape(FeatureShape s) => s;
}
