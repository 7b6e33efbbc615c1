using DDist.Torch;

namespace DDist.Augment;

/// <summary>Differentiable Siamese Augmentation (DSA / DiffAugment; Zhao &amp; Bilen 2021, DSA `utils.py` DiffAugment).
/// Random numbers come from libtorch's global generator, so a seeded run reproduces its augmentations. Drawing is
/// separate from applying (<see cref="Draw"/>, <see cref="Apply"/>) so one draw can be applied to a real and a
/// synthetic batch.</summary>
public static class Dsa
{
    /// <summary>Draws the parameters of one DSA call. Mode 'S' first picks one family of the strategy uniformly.
    /// Siamese: one parameter set for the whole batch (and for every batch it is applied to); otherwise one set
    /// per sample of a batch of <paramref name="batch"/> images.</summary>
    public static DsaDraw Draw(string strategy, int batch, int height, int width, DsaParams p, bool siamese, Device? device = null)
    {
        if (batch < 1 || height < 1 || width < 1)
            throw new ArgumentException($"DSA draw: batch {batch} and image size {height}×{width} must be positive");
        var all = DsaStrategies.Parse(strategy);
        IReadOnlyList<DsaFamily> families = all.Count == 0 || p.Mode == DsaMode.Multiple
            ? all
            : [all[(int)RandomIndex(all.Count)]];
        return DrawFamilies(families, siamese ? 1 : batch, siamese, batch, height, width, p, device ?? Device.Cpu);
    }

    /// <summary>Applies a draw to images (N, C, H, W); see <see cref="DsaDraw.Apply"/>.</summary>
    public static Tensor Apply(Tensor x, DsaDraw draw) => draw.Apply(x);

    /// <summary>Non-siamese DSA of one minibatch, as in network training: one family (mode 'S') for the batch,
    /// parameters drawn per sample.</summary>
    /// <summary>Trajectory matching's inner-loop augmentation: non-Siamese DSA with the default parameters on every
    /// student mini-batch (MTT's --dsa True), or none.</summary>
    public static Func<Tensor, Tensor>? ForStudent(bool on, string strategy) => on ? x => Augment(x, strategy, DsaParams.Default) : null;

    public static Tensor Augment(Tensor x, string strategy, DsaParams p)
    {
        var s = x.Shape;
        RequireImages(s);
        using var draw = Draw(strategy, (int)s[0], (int)s[2], (int)s[3], p, siamese: false, x.Device);
        return draw.Apply(x);
    }

    /// <summary>Non-siamese DSA in which every sample gets its own family (mode 'S'), as SEL's combined
    /// evaluation does by augmenting the distilled images one at a time. Samples are grouped by family so each
    /// family runs once, vectorised; the output keeps the input order.</summary>
    public static Tensor AugmentPerSample(Tensor x, string strategy, DsaParams p)
    {
        var s = x.Shape;
        RequireImages(s);
        var all = DsaStrategies.Parse(strategy);
        if (all.Count == 0) return x.Alias();
        if (p.Mode == DsaMode.Multiple) return Augment(x, strategy, p);
        int n = (int)s[0];
        using var scope = new TensorScope();
        var choice = Tensors.RandInt(0, all.Count, [n]).ToArray<long>();
        var parts = new List<Tensor>();
        var positions = new List<long>();
        for (int f = 0; f < all.Count; f++)
        {
            var members = Enumerable.Range(0, n).Where(i => choice[i] == f).Select(i => (long)i).ToArray();
            if (members.Length == 0) continue;
            var subset = x.IndexSelect(0, Tensors.FromArray(members).To(x.Device));
            using var draw = DrawFamilies([all[f]], members.Length, false, members.Length, (int)s[2], (int)s[3], p, x.Device);
            parts.Add(draw.Apply(subset));
            positions.AddRange(members);
        }
        return BatchPartition.Reassemble(parts, positions, x.Device).MoveToOuterScope();
    }

    private static void RequireImages(long[] s)
    {
        if (s.Length != 4) throw new ArgumentException($"DSA expects images (N, C, H, W), got shape [{string.Join(", ", s)}]");
    }

    private static long RandomIndex(int count)
    {
        using var scope = new TensorScope();
        return Tensors.RandInt(0, count, [1]).ItemLong();
    }

    private static DsaDraw DrawFamilies(IReadOnlyList<DsaFamily> families, long rows, bool siamese, int batch, int h, int w, DsaParams p, Device device)
    {
        var ops = new List<DsaOp>();
        try
        {
            foreach (var family in families) ops.AddRange(DrawFamily(family, rows, h, w, p, device));
        }
        catch
        {
            foreach (var op in ops) op.Dispose();
            throw;
        }
        return new DsaDraw(families, ops.ToArray(), siamese, batch, h, w);
    }

    /// <summary>The ops of one family with freshly drawn parameters (<paramref name="b"/> rows), in the reference's
    /// order and formulas (DSA `utils.py` DiffAugment and its rand_* functions).</summary>
    private static IEnumerable<DsaOp> DrawFamily(DsaFamily family, long b, int h, int w, DsaParams p, Device device)
    {
        using var scope = new TensorScope();
        Tensor Uniform(params long[] shape) => Tensors.Rand(shape, DType.Float32, device);
        switch (family)
        {
            case DsaFamily.Color:
                var brightness = new BrightnessOp(((Uniform(b, 1, 1, 1) - 0.5) * p.Brightness).DetachFromScope());
                var saturation = new SaturationOp((Uniform(b, 1, 1, 1) * p.Saturation).DetachFromScope());
                var contrast = new ContrastOp((Uniform(b, 1, 1, 1) + p.Contrast).DetachFromScope());
                return [brightness, saturation, contrast];
            case DsaFamily.Crop:
            {
                long sh = (long)(h * p.RatioCropPad + 0.5), sw = (long)(w * p.RatioCropPad + 0.5);
                var rows = Tensors.RandInt(-sh, sh + 1, [b], DType.Int64, device);
                var cols = Tensors.RandInt(-sw, sw + 1, [b], DType.Int64, device);
                return [TranslateOp.Create(rows, cols, h, w)];
            }
            case DsaFamily.Cutout:
            {
                // Centres in [0, size − 1 + (1 − L mod 2)], i.e. [0, size] for an even side, as the reference.
                long lh = CutoutOp.Side(h, p.RatioCutout), lw = CutoutOp.Side(w, p.RatioCutout);
                var rows = Tensors.RandInt(0, h + (1 - lh % 2), [b], DType.Int64, device);
                var cols = Tensors.RandInt(0, w + (1 - lw % 2), [b], DType.Int64, device);
                return [CutoutOp.Create(rows, cols, h, w, p.RatioCutout)];
            }
            case DsaFamily.Flip:
                return [new FlipOp(Uniform(b, 1, 1, 1).Lt(p.ProbFlip).DetachFromScope())];
            case DsaFamily.Scale:
            {
                double lo = 1 / p.RatioScale, span = p.RatioScale - lo;
                var sx = Uniform(b) * span + lo;
                var sy = Uniform(b) * span + lo;
                return [AffineOp.Scale(sx, sy, h, w, p.AlignCorners)];
            }
            case DsaFamily.Rotate:
            {
                var radians = (Uniform(b) - 0.5) * (2 * p.RatioRotate / 180 * Math.PI);
                return [AffineOp.Rotate(radians, h, w, p.AlignCorners)];
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(family), family, "unknown DSA family");
        }
    }
}
