using DDist.Torch;

namespace DDist.Augment;

/// <summary>The "simple" augmentation of SEL's evaluation: torchvision RandomCrop(size, padding 4) followed by
/// RandomHorizontalFlip(0.5), per sample and vectorised. The crop pads with 0 in normalised space and takes
/// offsets randint[0, 8] on each axis, i.e. a zero-filled shift by randint[−4, 4].</summary>
public static class SimpleAugment
{
    public const int Padding = 4;

    /// <param name="flip">Mirror half of the samples; turn off for digits.</param>
    public static Tensor Apply(Tensor x, bool flip = true)
    {
        var s = x.Shape;
        if (s.Length != 4) throw new ArgumentException($"simple augmentation expects images (N, C, H, W), got shape [{string.Join(", ", s)}]");
        long n = s[0];
        using var scope = new TensorScope();
        var device = x.Device;
        var shiftRows = Tensors.RandInt(-Padding, Padding + 1, [n], DType.Int64, device);
        var shiftCols = Tensors.RandInt(-Padding, Padding + 1, [n], DType.Int64, device);
        var cropped = ImageShift.Apply(x, ImageShift.BuildIndex(shiftRows, shiftCols, s[2], s[3]));
        if (!flip) return cropped.MoveToOuterScope();
        var mirror = Tensors.Rand([n, 1, 1, 1], DType.Float32, device).Lt(0.5);
        return Tensors.Where(mirror, cropped.Flip(3), cropped).MoveToOuterScope();
    }
}
