namespace DDist.Models;

/// <summary>The reference code's <c>get_network</c> by name (case-insensitive): the ConvNet variants and MLP, LeNet,
/// AlexNet, VGG11(BN), ResNet18(BN)(_AP|_Tiny) (DC `utils.py` get_network, `networks.py`). A ConvNet variant may
/// carry overrides, e.g. <c>"ConvNetBN(width=32,depth=2)"</c>; the keys are width, depth, norm, act and pooling, with
/// the reference's value names (instancenorm, leakyrelu, maxpooling, ...).</summary>
public static class ModelZoo
{
    private delegate INetwork Factory(string name, int channels, int numClasses, int height, int width);

    private static readonly (string Name, Func<ConvNetOptions, ConvNetOptions> Apply)[] ConvNetVariants = BuildConvNetVariants();
    private static readonly (string Name, Factory Create)[] OtherModels =
    [
        ("MLP", (n, c, k, h, w) => Mlp.Create(c, k, h, w, n)),
        ("LeNet", (n, c, k, h, w) => LeNet.Create(c, k, h, w, n)),
        ("AlexNet", (n, c, k, h, w) => AlexNet.Create(c, k, h, w, n)),
        ("AlexCifarNet", (n, c, k, h, w) => AlexCifarNet.Create(c, k, h, w, n)),
        ("VGG11", (n, c, k, h, w) => Vgg.Create11(c, k, h, w, NormKind.InstanceNorm, n)),
        ("VGG11BN", (n, c, k, h, w) => Vgg.Create11(c, k, h, w, NormKind.BatchNorm, n)),
        ("ResNet18", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n })),
        ("ResNet18BN", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n, Norm = NormKind.BatchNorm })),
        ("ResNet18_AP", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n, AvgPoolDownsample = true })),
        ("ResNet18BN_AP", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n, Norm = NormKind.BatchNorm, AvgPoolDownsample = true })),
        ("ResNet18_Tiny", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n, StemStride = 2 })),
        ("ResNet18BN_Tiny", (n, c, k, h, w) => ResNet.Create(new(c, k, h, w) { Name = n, Norm = NormKind.BatchNorm, StemStride = 2 })),
    ];

    /// <summary>Every accepted model name (without overrides), ConvNet variants first.</summary>
    public static IReadOnlyList<string> Names { get; } = ConvNetVariants.Select(v => v.Name).Concat(OtherModels.Select(m => m.Name)).ToArray();

    public static INetwork Create(string name, int channels, int numClasses, int height, int width)
    {
        if (channels < 1 || numClasses < 1 || height < 1 || width < 1)
            throw new ArgumentException($"model '{name}': channels {channels}, classes {numClasses} and image size {height}×{width} must be positive");
        var trimmed = name.Trim();
        int open = trimmed.IndexOf('(');
        var baseName = open < 0 ? trimmed : trimmed[..open].Trim();
        var variant = ConvNetVariants.FirstOrDefault(v => v.Name.Equals(baseName, StringComparison.OrdinalIgnoreCase));
        if (variant.Name is not null)
        {
            var options = variant.Apply(new ConvNetOptions(channels, numClasses, height, width) { Name = variant.Name });
            if (open >= 0) options = ApplyOverrides(options, trimmed, trimmed[(open + 1)..]);
            return ConvNet.Create(options);
        }
        if (open >= 0)
            throw new ArgumentException($"model '{name}': overrides in parentheses are supported for ConvNet variants only");
        var model = OtherModels.FirstOrDefault(m => m.Name.Equals(baseName, StringComparison.OrdinalIgnoreCase));
        if (model.Name is not null)
            return model.Create(model.Name, channels, numClasses, height, width);
        throw new ArgumentException($"unknown model '{name}'; valid names: {string.Join(", ", Names)}");
    }

    private static ConvNetOptions ApplyOverrides(ConvNetOptions o, string full, string rest)
    {
        if (!rest.EndsWith(')'))
            throw new ArgumentException($"model '{full}': expected overrides as Name(key=value,...)");
        foreach (var part in rest[..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2)
                throw new ArgumentException($"model '{full}': override '{part}' is not key=value");
            o = kv[0].ToLowerInvariant() switch
            {
                "width" => o with { Width = ParsePositive(full, kv) },
                "depth" => o with { Depth = ParsePositive(full, kv) },
                "norm" => o with { Norm = NetworkOptionNames.ParseNorm(kv[1]) },
                "act" => o with { Activation = NetworkOptionNames.ParseActivation(kv[1]) },
                "pooling" => o with { Pooling = NetworkOptionNames.ParsePooling(kv[1]) },
                _ => throw new ArgumentException($"model '{full}': unknown override '{kv[0]}', expected width, depth, norm, act or pooling"),
            };
        }
        return o with { Name = full };
    }

    private static int ParsePositive(string full, string[] kv) =>
        int.TryParse(kv[1], out var v) && v > 0 ? v : throw new ArgumentException($"model '{full}': {kv[0]} must be a positive integer, got '{kv[1]}'");

    /// <summary>The ConvNet variants of get_network, in the order get_network lists them (DC `utils.py`).</summary>
    private static (string, Func<ConvNetOptions, ConvNetOptions>)[] BuildConvNetVariants()
    {
        var v = new List<(string Name, Func<ConvNetOptions, ConvNetOptions> Apply)>
        {
            ("ConvNet", o => o),
            ("ConvNetBN", o => o with { Norm = NormKind.BatchNorm }),
        };
        for (int d = 1; d <= 8; d++)
        {
            int depth = d;
            v.Add(($"ConvNetD{d}", o => o with { Depth = depth }));
        }
        v.Add(("ConvNetD4BN", o => o with { Depth = 4, Norm = NormKind.BatchNorm }));
        foreach (var w in new[] { 32, 64, 128, 256, 512, 1024 })
        {
            int width = w;
            v.Add(($"ConvNetW{w}", o => o with { Width = width }));
        }
        v.AddRange(new (string, Func<ConvNetOptions, ConvNetOptions>)[]
        {
            ("ConvNetNN", o => o with { Norm = NormKind.None }),
            ("ConvNetLN", o => o with { Norm = NormKind.LayerNorm }),
            ("ConvNetIN", o => o with { Norm = NormKind.InstanceNorm }),
            ("ConvNetGN", o => o with { Norm = NormKind.GroupNorm }),
            ("ConvNetAS", o => o with { Activation = ActivationKind.Sigmoid }),
            ("ConvNetAR", o => o with { Activation = ActivationKind.Relu }),
            ("ConvNetAL", o => o with { Activation = ActivationKind.LeakyRelu }),
            ("ConvNetNP", o => o with { Pooling = PoolingKind.None }),
            ("ConvNetMP", o => o with { Pooling = PoolingKind.MaxPooling }),
            ("ConvNetAP", o => o with { Pooling = PoolingKind.AvgPooling }),
            ("ConvNetKIP", o => o with { Width = 1024, Norm = NormKind.None }),
        });
        return v.ToArray();
    }
}
