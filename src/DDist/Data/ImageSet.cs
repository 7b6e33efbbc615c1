using DDist.Torch;

namespace DDist.Data;

/// <summary>Decoded images exactly as stored: uint8 pixels in N×C×H×W order plus integer labels.
/// Readers produce this; <see cref="ImageDataset"/> turns it into normalised tensors.</summary>
public sealed record RawImageSet(byte[] Pixels, int[] Labels, int Count, int Channels, int Height, int Width, string[] ClassNames)
{
    public int NumClasses => ClassNames.Length;
    public int ImageSize => Channels * Height * Width;

    /// <summary>Number of images of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[NumClasses];
        foreach (var label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>For each class, the indices of its images in their original order.</summary>
    public int[][] IndicesByClass() => ClassIndex.Group(Labels, NumClasses, i => i);

    /// <summary>A new set holding the given images, in the given order.</summary>
    public RawImageSet Subset(IReadOnlyList<long> indices)
    {
        int size = ImageSize;
        var pixels = new byte[(long)indices.Count * size];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            long index = indices[i];
            if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {index} at position {i} is outside 0..{Count - 1}");
            Array.Copy(Pixels, index * size, pixels, (long)i * size, size);
            labels[i] = Labels[index];
        }
        return this with { Pixels = pixels, Labels = labels, Count = indices.Count };
    }
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
    /// <summary>The per-channel normalisation applied to the [0,1] pixels (identity when ZCA was used instead).</summary>
    public Normalization? Normalization { get; init; }
    /// <summary>The ZCA whitening applied after normalisation, if any. Shared between splits, not owned (not disposed here).</summary>
    public ZcaTransform? Zca { get; init; }
    /// <summary>The space the images are in, as small sets and experts record it: "zca" when whitened, else the
    /// normalisation's name.</summary>
    public string Space => Zca is not null ? ZcaTransform.SpaceName : Normalization?.Name ?? "unknown";
    public int Count => (int)Images.Size(0);
    public int Channels => (int)Images.Size(1);
    public int Height => (int)Images.Size(2);
    public int Width => (int)Images.Size(3);

    // Images converted per chunk, so the peak is the float32 result plus one chunk (Tiny's 100k images are 4.9 GB as float32).
    private const int ChunkImages = 4096;

    /// <summary>float32 (x/255 − mean)/std on <paramref name="device"/>, labels int64.</summary>
    public static ImageDataset FromRaw(RawImageSet raw, Normalization norm, Device device, string name = "dataset")
    {
        if (norm.Channels != raw.Channels)
            throw new ArgumentException($"normalisation '{norm.Name}' has {norm.Channels} channels, the images have {raw.Channels}", nameof(norm));
        using var scope = new TensorScope();
        var mean = Torch.Tensors.FromArray(norm.Mean, 1, raw.Channels, 1, 1).To(device);
        var std = Torch.Tensors.FromArray(norm.Std, 1, raw.Channels, 1, 1).To(device);
        var images = Convert(raw, device, unit => unit.Sub(mean).Div(std)).DetachFromScope();
        return new ImageDataset
        {
            Name = name, Images = images, Labels = LabelTensor(raw, device).DetachFromScope(),
            NumClasses = raw.NumClasses, ClassNames = raw.ClassNames, Normalization = norm,
        };
    }

    /// <summary>ZCA-whitened [0,1] pixels (MTT/DATM's --zca path: no mean/std normalisation first).</summary>
    public static ImageDataset FromRaw(RawImageSet raw, ZcaTransform zca, Device device, string name = "dataset")
    {
        using var scope = new TensorScope();
        var images = Convert(raw, device, zca.Apply).DetachFromScope();
        return new ImageDataset
        {
            Name = name, Images = images, Labels = LabelTensor(raw, device).DetachFromScope(),
            NumClasses = raw.NumClasses, ClassNames = raw.ClassNames, Normalization = Normalization.Identity(raw.Channels), Zca = zca,
        };
    }

    /// <summary>float32 pixels/255 in [0,1], shape (N,C,H,W), on <paramref name="device"/>.</summary>
    public static Tensor UnitTensor(RawImageSet raw, Device device) => Convert(raw, device, unit => unit);

    /// <summary>transform(pixels/255) for every image, chunk by chunk, into one (N,C,H,W) float32 tensor.</summary>
    private static Tensor Convert(RawImageSet raw, Device device, Func<Tensor, Tensor> transform)
    {
        var output = Torch.Tensors.Empty([raw.Count, raw.Channels, raw.Height, raw.Width], DType.Float32, device);
        using var noGrad = Torch.Tensors.NoGrad();
        int size = raw.ImageSize;
        for (int start = 0; start < raw.Count; start += ChunkImages)
        {
            using var scope = new TensorScope();
            int n = Math.Min(ChunkImages, raw.Count - start);
            var bytes = Torch.Tensors.FromArray((ReadOnlySpan<byte>)raw.Pixels.AsSpan(start * size, n * size), n, raw.Channels, raw.Height, raw.Width);
            // Move the uint8 bytes first: a quarter of the float traffic to a GPU.
            var unit = bytes.To(device).To(DType.Float32).Div(255.0);
            output.Narrow(0, start, n).CopyFrom(transform(unit));
        }
        return output;
    }

    private static Tensor LabelTensor(RawImageSet raw, Device device) =>
        Torch.Tensors.FromArray(raw.Labels.Select(l => (long)l).ToArray(), raw.Count).To(device);

    /// <summary>A new dataset holding copies of the given rows, in the given order (same device, same normalisation).</summary>
    public ImageDataset Subset(long[] indices)
    {
        using var scope = new TensorScope();
        var index = Torch.Tensors.FromArray(indices, indices.Length).To(Images.Device);
        return new ImageDataset
        {
            Name = Name, Images = Images.IndexSelect(0, index).DetachFromScope(), Labels = Labels.IndexSelect(0, index).DetachFromScope(),
            NumClasses = NumClasses, ClassNames = ClassNames, Normalization = Normalization, Zca = Zca,
        };
    }

    /// <summary>For each class, the row indices of its images in their original order.</summary>
    public long[][] IndicesByClass() => ClassIndex.Group(Labels.ToArray<long>(), NumClasses, i => (long)i);

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
