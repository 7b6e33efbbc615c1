using DDist.Torch;

namespace DDist.Data;

/// <summary>Decoded images exactly as stored: uint8 pixels in N×C×H×W order plus integer labels.
/// Readers produce this; <see cref="ImageDataset"/> turns it into normalised tensors.</summary>
public sealed record RawImageSet(byte[] Pixels, int[] Labels, int Count, int Channels, int Height, int Width, string[] ClassNames)
{
    public int NumClasses => ClassNames.Length;
}

/// <summary>A labelled image set on a device: Images float32 (N,C,H,W) in normalised (or ZCA) space,
/// Labels int64 (N). Owns its tensors.</summary>
public sealed class ImageDataset : IDisposable
{
    public required string Name { get; init; }
    public required Tensor Images { get; init; }
    public required Tensor Labels { get; init; }
    public required int NumClasses { get; init; }
    public required string[] ClassNames { get; init; }
    public int Count => (int)Images.Size(0);
    public int Channels => (int)Images.Size(1);
    public int Height => (int)Images.Size(2);
    public int Width => (int)Images.Size(3);

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
