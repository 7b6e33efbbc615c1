using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>Options of the reference ResNet-18 (the kuangliu CIFAR variant).</summary>
public sealed record ResNetOptions(int Channels, int NumClasses, int ImageHeight, int ImageWidth)
{
    public string Name { get; init; } = "ResNet18";
    /// <summary>InstanceNorm (GroupNorm(c, c), "ResNet18") or BatchNorm ("ResNet18BN").</summary>
    public NormKind Norm { get; init; } = NormKind.InstanceNorm;
    /// <summary>2 for SEL's "_Tiny" variants (64×64 input: 64 → 32 in the stem).</summary>
    public int StemStride { get; init; } = 1;
    /// <summary>The "_AP" variants: stride-2 convs become stride 1 + AvgPool2d(2) and the head does not pool.</summary>
    public bool AvgPoolDownsample { get; init; }
}

/// <summary>ResNet-18: stem conv3×3(64, no bias) → norm → ReLU, four stages of two <see cref="BasicBlock"/>s
/// (64, 128, 256, 512; strides 1, 2, 2, 2), avg_pool2d(4) (none for "_AP"), flatten, Linear(→ K). The
/// classifier's fan-in comes from the actual feature-map size: 512 for 32×32 (and for 64×64 with the Tiny stem).</summary>
public static class ResNet
{
    public static SequentialNetwork Create(ResNetOptions o)
    {
        if (o.Norm is not (NormKind.InstanceNorm or NormKind.BatchNorm))
            throw new ArgumentException($"{o.Name}: ResNet supports instancenorm or batchnorm, not {o.Norm}");
        var b = new NetworkBuilder(o.Name, new FeatureShape(o.Channels, o.ImageHeight, o.ImageWidth));
        b.Add(new Conv2dLayer(b, "conv1", o.Channels, 64, kernel: 3, stride: o.StemStride, padding: 1, bias: false));
        b.Add(NormLayers.Create(b, "bn1", o.Norm, b.Shape)!);
        b.Add(ActivationLayer.Relu);
        long[] planes = [64, 128, 256, 512];
        for (int stage = 0; stage < planes.Length; stage++)
            for (int block = 0; block < 2; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                b.Add(new BasicBlock(b, $"layer{stage + 1}.{block}", b.Shape, planes[stage], stride, o.Norm, o.AvgPoolDownsample));
            }
        if (!o.AvgPoolDownsample) b.Add(new PoolLayer(max: false, kernel: 4));
        long features = b.Shape.Count;
        return b.Build([new LinearLayer(b, "classifier", features, o.NumClasses)], features);
    }
}
