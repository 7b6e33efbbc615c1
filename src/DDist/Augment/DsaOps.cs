using DDist.Torch;

namespace DDist.Augment;

/// <summary>One DSA operation with its random parameters already drawn. Parameter tensors have batch size B
/// (one row per sample) or 1 (siamese: shared by every sample); they broadcast over the images' batch.
/// Apply never disposes its input and is differentiable with respect to it.</summary>
internal abstract class DsaOp : IDisposable
{
    public abstract Tensor Apply(Tensor x);
    public abstract void Dispose();

    /// <summary>The parameter in x's dtype and device (a fresh handle either way, owned by the current scope).</summary>
    protected static Tensor Like(Tensor p, Tensor x)
    {
        var (dtype, device) = (x.DType, x.Device);
        return p.DType == dtype && p.Device == device ? p.Alias() : p.To(dtype, device);
    }
}

/// <summary>x + offset, offset = (r − 0.5)·brightness per sample.</summary>
internal sealed class BrightnessOp(Tensor offset) : DsaOp
{
    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        return (x + Like(offset, x)).MoveToOuterScope();
    }
    public override void Dispose() => offset.Dispose();
}

/// <summary>(x − m)·f + m with m the mean over channels per pixel (the identity for 1 channel), f = r·saturation.</summary>
internal sealed class SaturationOp(Tensor factor) : DsaOp
{
    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        var m = x.Mean(1, keepDim: true);
        return ((x - m) * Like(factor, x) + m).MoveToOuterScope();
    }
    public override void Dispose() => factor.Dispose();
}

/// <summary>(x − m)·f + m with m the mean over (C, H, W) per image, f = r + contrast.</summary>
internal sealed class ContrastOp(Tensor factor) : DsaOp
{
    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        var m = x.Mean([1, 2, 3], keepDim: true);
        return ((x - m) * Like(factor, x) + m).MoveToOuterScope();
    }
    public override void Dispose() => factor.Dispose();
}

/// <summary>Integer translation with zero fill (the reference's "crop"), as a gather.</summary>
internal sealed class TranslateOp(Tensor index) : DsaOp
{
    /// <summary>Shifts by (rows, cols) per sample (B each): out[i, j] = x[i + rows, j + cols], 0 outside.</summary>
    public static TranslateOp Create(Tensor rows, Tensor cols, long height, long width) =>
        new(ImageShift.BuildIndex(rows, cols, height, width).DetachFromScope());

    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        var idx = index.Device == x.Device ? index : index.To(x.Device);
        return ImageShift.Apply(x, idx).MoveToOuterScope();
    }
    public override void Dispose() => index.Dispose();
}

/// <summary>x·mask, where the mask zeroes one square per sample in all channels.</summary>
internal sealed class CutoutOp(Tensor mask) : DsaOp
{
    /// <summary>Zeroes, per sample, the rows [max(0, o_r − ⌊L_h/2⌋), min(H−1, o_r − ⌊L_h/2⌋ + L_h − 1)] × the same
    /// for columns, with L = round(ratio·size) and centres o (B each, any numeric dtype).</summary>
    public static CutoutOp Create(Tensor centreRows, Tensor centreCols, long height, long width, double ratio)
    {
        using var scope = new TensorScope();
        long b = centreRows.Size(0), lh = Side(height, ratio), lw = Side(width, ratio);
        var device = centreRows.Device;
        var rowStart = (centreRows.To(DType.Float64) - (double)(lh / 2)).View(b, 1);
        var colStart = (centreCols.To(DType.Float64) - (double)(lw / 2)).View(b, 1);
        var rows = Tensors.Arange(0, height, 1, DType.Float64, device).View(1, height);
        var cols = Tensors.Arange(0, width, 1, DType.Float64, device).View(1, width);
        var inRows = rows.Ge(rowStart).LogicalAnd(rows.Le(rowStart + (lh - 1))).View(b, 1, height, 1);
        var inCols = cols.Ge(colStart).LogicalAnd(cols.Le(colStart + (lw - 1))).View(b, 1, 1, width);
        return new((1.0 - inRows.LogicalAnd(inCols).To(DType.Float32)).DetachFromScope());
    }

    /// <summary>The side of the cut square along an axis of the given size.</summary>
    public static long Side(long size, double ratio) => (long)(size * ratio + 0.5);

    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        return (x * Like(mask, x)).MoveToOuterScope();
    }
    public override void Dispose() => mask.Dispose();
}

/// <summary>Mirrors the width axis of the samples whose flag is set.</summary>
internal sealed class FlipOp(Tensor flip) : DsaOp
{
    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        var cond = flip.Device == x.Device ? flip : flip.To(x.Device);
        return Tensors.Where(cond, x.Flip(3), x).MoveToOuterScope();
    }
    public override void Dispose() => flip.Dispose();
}

/// <summary>Affine warp (scale or rotate): bilinear grid_sample with zero padding on a precomputed sampling
/// grid (B, H, W, 2).</summary>
internal sealed class AffineOp(Tensor grid, bool alignCorners) : DsaOp
{
    /// <summary>θ = [[sx, 0, 0], [0, sy, 0]] per sample; factors above 1 shrink the content.</summary>
    public static AffineOp Scale(Tensor sx, Tensor sy, long height, long width, bool alignCorners)
    {
        using var scope = new TensorScope();
        var zero = Tensors.Zeros([sx.Size(0)], sx.DType, sx.Device);
        return FromTheta(sx, zero, zero, zero, sy, zero, height, width, alignCorners);
    }

    /// <summary>θ = [[cos φ, −sin φ, 0], [sin φ, cos φ, 0]] per sample, φ in radians.</summary>
    public static AffineOp Rotate(Tensor radians, long height, long width, bool alignCorners)
    {
        using var scope = new TensorScope();
        var (cos, sin) = (radians.Cos(), radians.Sin());
        var zero = Tensors.Zeros([radians.Size(0)], radians.DType, radians.Device);
        return FromTheta(cos, -sin, zero, sin, cos, zero, height, width, alignCorners);
    }

    /// <summary>θ = [[a, b, c], [d, e, f]] (B each); row 0 gives the source x, i.e. the width coordinate.</summary>
    private static AffineOp FromTheta(Tensor a, Tensor b, Tensor c, Tensor d, Tensor e, Tensor f, long height, long width, bool alignCorners)
    {
        var theta = Tensors.Stack([Tensors.Stack([a, b, c], 1), Tensors.Stack([d, e, f], 1)], 1);
        var grid = Functional.AffineGrid(theta, [a.Size(0), 1, height, width], alignCorners);
        return new(grid.DetachFromScope(), alignCorners);
    }

    public override Tensor Apply(Tensor x)
    {
        using var scope = new TensorScope();
        var g = Like(grid, x);
        long n = x.Size(0);
        if (g.Size(0) != n) g = g.Expand(n, g.Size(1), g.Size(2), 2);
        return Functional.GridSample(x, g, alignCorners).MoveToOuterScope();
    }
    public override void Dispose() => grid.Dispose();
}
