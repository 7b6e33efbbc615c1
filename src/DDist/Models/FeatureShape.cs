namespace DDist.Models;

/// <summary>The per-sample shape of an activation (channels, height, width) while a network is being built,
/// so that each layer can size itself (e.g. the classifier's fan-in, LayerNorm's normalised shape).</summary>
public readonly record struct FeatureShape(long Channels, long Height, long Width)
{
    public long Count => Channels * Height * Width;
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
