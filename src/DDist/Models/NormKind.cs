namespace DDist.Models;

/// <summary>Normalisation layer after each conv. InstanceNorm is the reference's GroupNorm(C, C) with affine
/// γ, β (no running statistics); GroupNorm uses 4 groups; LayerNorm normalises over (C, H, W) with an
/// elementwise γ, β of that shape.</summary>
public enum NormKind { None, InstanceNorm, BatchNorm, LayerNorm, GroupNorm }

/// <summary>Activation after each conv block: ReLU, sigmoid or LeakyReLU(0.01).</summary>
public enum ActivationKind { Relu, Sigmoid, LeakyRelu }

/// <summary>Pooling after each conv block: none, or non-overlapping 2×2 average or max pooling.</summary>
public enum PoolingKind { None, AvgPooling, MaxPooling }

/// <summary>Parsing of the reference code's option names ("instancenorm", "leakyrelu", "maxpooling", ...).</summary>
public static class NetworkOptionNames
{
    public static NormKind ParseNorm(string s) => s.Trim().ToLowerInvariant() switch
    {
        "none" => NormKind.None,
        "instancenorm" => NormKind.InstanceNorm,
        "batchnorm" => NormKind.BatchNorm,
        "layernorm" => NormKind.LayerNorm,
        "groupnorm" => NormKind.GroupNorm,
        _ => throw new ArgumentException($"unknown norm '{s}', expected instancenorm, batchnorm, layernorm, groupnorm or none"),
    };

    public static ActivationKind ParseActivation(string s) => s.Trim().ToLowerInvariant() switch
    {
        "relu" => ActivationKind.Relu,
        "sigmoid" => ActivationKind.Sigmoid,
        "leakyrelu" => ActivationKind.LeakyRelu,
        _ => throw new ArgumentException($"unknown activation '{s}', expected relu, sigmoid or leakyrelu"),
    };

    public static PoolingKind ParsePooling(string s) => s.Trim().ToLowerInvariant() switch
    {
        "none" => PoolingKind.None,
        "avgpooling" => PoolingKind.AvgPooling,
        "maxpooling" => PoolingKind.MaxPooling,
        _ => throw new ArgumentException($"unknown pooling '{s}', expected avgpooling, maxpooling or none"),
    };
}
