using DDist.Torch;

namespace DDist.Augment;

/// <summary>Integer translation with zero fill as one gather: out[i, j] = x[i + tRow, j + tCol], 0 outside
/// the image. The reference pads one zero pixel and clamps source indices into the padded frame, which gives
/// zero fill for any shift; a gather keeps it differentiable and vectorised over the batch.</summary>
internal static class ImageShift
{
    /// <summary>Gather index (B, 1, H·W) of int64 into the (H+2)×(W+2) zero-padded image, for per-sample
    /// integer shifts (B) of any numeric dtype.</summary>
    public static Tensor BuildIndex(Tensor shiftRows, Tensor shiftCols, long height, long width)
    {
        using var scope = new TensorScope();
        long b = shiftRows.Size(0);
        var device = shiftRows.Device;
        // Index arithmetic in float64 (exact for these small integers): the shim's scalar ops promote int64
        // tensors to floating point anyway.
        var rows = (Tensors.Arange(0, height, 1, DType.Float64, device).View(1, height) + shiftRows.To(DType.Float64).View(b, 1) + 1).Clamp(0, height + 1);
        var cols = (Tensors.Arange(0, width, 1, DType.Float64, device).View(1, width) + shiftCols.To(DType.Float64).View(b, 1) + 1).Clamp(0, width + 1);
        var flat = rows.View(b, height, 1) * (width + 2) + cols.View(b, 1, width);
        return flat.View(b, 1, height * width).To(DType.Int64).MoveToOuterScope();
    }

    /// <summary>Applies an index from <see cref="BuildIndex"/>; a batch-1 index is shared by all samples.</summary>
    public static Tensor Apply(Tensor x, Tensor index)
    {
        using var scope = new TensorScope();
        var s = x.Shape;
        long n = s[0], c = s[1], h = s[2], w = s[3];
        var padded = x.Pad([1, 1, 1, 1]).View(n, c, (h + 2) * (w + 2));
        var result = padded.Gather(2, index.Expand(n, c, h * w)).View(n, c, h, w);
        return result.MoveToOuterScope();
    }
}
