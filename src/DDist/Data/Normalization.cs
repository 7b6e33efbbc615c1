namespace DDist.Data;

/// <summary>Per-channel normalisation x_c ← (x_c − Mean_c) / Std_c of [0,1] pixels (the reference code's get_dataset,
/// DC/MTT/SelMatch `utils.py`).</summary>
/// <param name="Name">Says where the constants come from, so artefacts record which were used.</param>
public sealed record Normalization(string Name, float[] Mean, float[] Std)
{
    public int Channels => Mean.Length;

    /// <summary>DC's MNIST constants.</summary>
    public static Normalization MnistDc { get; } = new("mnist-dc", [0.1307f], [0.3081f]);
    /// <summary>DC's FashionMNIST constants.</summary>
    public static Normalization FashionMnistDc { get; } = new("fashion-mnist-dc", [0.2861f], [0.3530f]);
    /// <summary>CIFAR-10's constants, shared by DC, MTT, SEL and DATM.</summary>
    public static Normalization Cifar10 { get; } = new("cifar10", [0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]);
    /// <summary>What SEL, MTT and DATM actually use for CIFAR-100: CIFAR-10's constants (a copy-paste in their code).
    /// The default for cifar100, so published numbers are reproduced.</summary>
    public static Normalization Cifar100ReferenceCode { get; } = new("cifar10-constants-for-cifar100", [0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]);
    /// <summary>DC's CIFAR-100 statistics (the dataset's own).</summary>
    public static Normalization Cifar100Dc { get; } = new("cifar100-dc", [0.5071f, 0.4866f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]);
    /// <summary>SEL's TinyImageNet constants (the default for tiny-imagenet).</summary>
    public static Normalization TinySel { get; } = new("tiny-imagenet-sel", [0.4802f, 0.4481f, 0.3975f], [0.2770f, 0.2691f, 0.2821f]);
    /// <summary>The ImageNet constants, used for TinyImageNet by DC, MTT and DATM.</summary>
    public static Normalization ImageNet { get; } = new("imagenet", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Mean 0, std 1: keeps the [0,1] pixels (the input to ZCA whitening).</summary>
    public static Normalization Identity(int channels) =>
        new("none", Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    public static IReadOnlyList<Normalization> Presets { get; } =
        [MnistDc, FashionMnistDc, Cifar10, Cifar100ReferenceCode, Cifar100Dc, TinySel, ImageNet];

    /// <summary>A preset by its <see cref="Name"/> (also "cifar100-sel"/"cifar100-mtt" for the reference-code one).</summary>
    public static Normalization Named(string name)
    {
        if (name is "cifar100-sel" or "cifar100-mtt") return Cifar100ReferenceCode;
        return Presets.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown normalisation '{name}'; expected one of: {string.Join(", ", Presets.Select(p => p.Name))}, cifar100-sel");
    }

    /// <summary>The mean and (population) standard deviation of each channel over all pixels of a set, in [0,1] units.</summary>
    public static Normalization FromData(RawImageSet raw, string name = "computed")
    {
        var (mean, std) = ChannelStatistics(raw);
        return new Normalization(name, mean.Select(m => (float)m).ToArray(), std.Select(s => (float)s).ToArray());
    }

    /// <summary>Exact per-channel mean and population std of raw/255, summed in integers (no rounding drift on 60M pixels).</summary>
    public static (double[] Mean, double[] Std) ChannelStatistics(RawImageSet raw)
    {
        int plane = raw.Height * raw.Width;
        var sum = new long[raw.Channels];
        var sumSquares = new long[raw.Channels];
        for (long image = 0; image < raw.Count; image++)
            for (int c = 0; c < raw.Channels; c++)
            {
                long s = 0, s2 = 0;
                var span = raw.Pixels.AsSpan((int)((image * raw.Channels + c) * plane), plane);
                foreach (var v in span) { s += v; s2 += v * v; }
                sum[c] += s;
                sumSquares[c] += s2;
            }
        double n = (double)raw.Count * plane;
        var mean = new double[raw.Channels];
        var std = new double[raw.Channels];
        for (int c = 0; c < raw.Channels; c++)
        {
            mean[c] = sum[c] / n / 255.0;
            double variance = sumSquares[c] / n / (255.0 * 255.0) - mean[c] * mean[c];
            std[c] = Math.Sqrt(Math.Max(variance, 0));
        }
        return (mean, std);
    }
}
