using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;
using SkiaSharp;

namespace DDist.Reporting;

/// <summary>Layout of an image grid: one row per class, up to <see cref="PerClass"/> images each, every image
/// enlarged <see cref="Scale"/> times and framed; distilled images get <see cref="DistilledFrame"/>, real ones
/// <see cref="SelectedFrame"/>, so the two parts of a SelMatch set are told apart at a glance.</summary>
public sealed record GridOptions
{
    public int PerClass { get; init; } = 10;
    public int Scale { get; init; } = 2;
    public int Frame { get; init; } = 2;
    public int Gap { get; init; } = 2;
    public Rgb DistilledFrame { get; init; } = Rgb.Orange;
    public Rgb SelectedFrame { get; init; } = Rgb.LightGrey;
    public Rgb Background { get; init; } = Rgb.White;
    /// <summary>Writes the class index at the start of each row.</summary>
    public bool RowLabels { get; init; } = true;
    /// <summary>When a class has both distilled and real images, show half of each (distilled first) instead of
    /// the first PerClass in set order (which, in SelMatch's order, would all be distilled).</summary>
    public bool BalanceParts { get; init; } = true;
}

/// <summary>Renders images (N,C,H,W, normalised) as a class-per-row grid of [0,1] pixels, and grids side by side
/// under titles. Drawn with Skia; pixels are exact (no anti-aliasing on tiles), text uses <see cref="PlotFonts"/>.</summary>
public static class ImageGrid
{
    private const float LabelSize = 16, TitleSize = 18;

    /// <param name="normalization">Maps images back to pixels (p = x·std + mean, clamped to [0,1]); null scales each
    /// image to its own min–max (for ZCA space).</param>
    /// <returns>An opaque RGBA bitmap the caller disposes.</returns>
    public static SKBitmap Render(Tensor images, long[] labels, bool[]? isDistilled, int numClasses, Normalization? normalization, GridOptions? options = null)
    {
        var o = options ?? new GridOptions();
        var shape = images.Shape;
        if (shape.Length != 4 || shape[1] is not (1 or 3))
            throw new ArgumentException($"images must be (N,1|3,H,W), got [{string.Join(",", shape)}]", nameof(images));
        int n = (int)shape[0], ch = (int)shape[1], h = (int)shape[2], w = (int)shape[3];
        if (labels.Length != n) throw new ArgumentException($"{labels.Length} labels for {n} images", nameof(labels));
        foreach (var (label, i) in labels.Select((l, i) => (l, i)))
            if (label < 0 || label >= numClasses) throw new ArgumentOutOfRangeException(nameof(labels), $"label {label} of image {i} outside [0, {numClasses})");
        if (o.PerClass < 1 || o.Scale < 1 || o.Frame < 0 || o.Gap < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"grid options {o}: PerClass and Scale must be at least 1, Frame and Gap at least 0");
        var pixels = ToUnitPixels(images, normalization);

        using var font = o.RowLabels ? new SKFont(PlotFonts.Typeface, LabelSize) : null;
        int tileW = w * o.Scale + 2 * o.Frame, tileH = h * o.Scale + 2 * o.Frame;
        int labelW = font is null ? 0 : (int)Math.Ceiling(font.MeasureText((numClasses - 1).ToString())) + 8;
        var shown = Shown(labels, isDistilled, numClasses, o).ToList();
        // As wide as the fullest row: a grid asked for more images per class than the set has is not left mostly empty.
        int columns = Math.Max(1, shown.GroupBy(i => labels[i]).Select(g => g.Count()).DefaultIfEmpty(0).Max());
        var bitmap = NewBitmap(labelW + o.Gap + columns * (tileW + o.Gap), o.Gap + numClasses * (tileH + o.Gap));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Sk(o.Background));
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        var column = new int[numClasses];
        foreach (var i in shown)
        {
            int c = (int)labels[i];
            int x = labelW + o.Gap + column[c]++ * (tileW + o.Gap), y = o.Gap + c * (tileH + o.Gap);
            fill.Color = Sk(isDistilled is not null && isDistilled[i] ? o.DistilledFrame : o.SelectedFrame);
            canvas.DrawRect(x, y, tileW, tileH, fill);
            DrawImage(canvas, fill, pixels, i, ch, h, w, x + o.Frame, y + o.Frame, o.Scale);
        }
        if (font is not null)
        {
            using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black };
            for (int c = 0; c < numClasses; c++)
                canvas.DrawText(c.ToString(), 4, o.Gap + c * (tileH + o.Gap) + tileH / 2f + LabelSize / 3, SKTextAlign.Left, font, ink);
        }
        return bitmap;
    }

    /// <summary>Grids side by side, each under its title, on white.</summary>
    public static SKBitmap Compose(IReadOnlyList<(string Title, SKBitmap Grid)> panels, int gap = 24)
    {
        if (panels.Count == 0) throw new ArgumentException("no grids to compose", nameof(panels));
        using var font = new SKFont(PlotFonts.Typeface, TitleSize);
        int header = (int)Math.Ceiling(TitleSize * 1.8);
        // A title wider than its grid widens the panel, so titles never run into the next grid.
        var widths = panels.Select(p => Math.Max(p.Grid.Width, (int)Math.Ceiling(font.MeasureText(p.Title)) + 8)).ToArray();
        var bitmap = NewBitmap(widths.Sum() + gap * (panels.Count - 1), panels.Max(p => p.Grid.Height) + header);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        int x = 0;
        for (int i = 0; i < panels.Count; i++)
        {
            canvas.DrawText(panels[i].Title, x + 4, TitleSize * 1.2f, SKTextAlign.Left, font, ink);
            canvas.DrawBitmap(panels[i].Grid, x, header);
            x += widths[i] + gap;
        }
        return bitmap;
    }

    private static SKBitmap NewBitmap(int width, int height) => new(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));

    internal static SKColor Sk(Rgb c) => new(c.R, c.G, c.B);

    /// <summary>The images to draw, per class in set order: the first PerClass, or with <see cref="GridOptions.BalanceParts"/>
    /// up to half distilled and the rest real.</summary>
    private static IEnumerable<int> Shown(long[] labels, bool[]? isDistilled, int numClasses, GridOptions o)
    {
        for (int c = 0; c < numClasses; c++)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToList();
            if (!o.BalanceParts || isDistilled is null)
            {
                foreach (var i in members.Take(o.PerClass)) yield return i;
                continue;
            }
            var distilled = members.Where(i => isDistilled[i]).ToList();
            var real = members.Where(i => !isDistilled[i]).ToList();
            int takeDistilled = real.Count == 0 ? o.PerClass : Math.Min(distilled.Count, (o.PerClass + 1) / 2);
            foreach (var i in distilled.Take(takeDistilled).Concat(real.Take(o.PerClass - Math.Min(takeDistilled, distilled.Count)))) yield return i;
        }
    }

    /// <summary>A small set as a grid, its normalisation recovered from the set's info when possible; a ZCA-whitened
    /// set is mapped back to pixels by the inverse transform it carries.</summary>
    public static SKBitmap Render(SmallSet set, GridOptions? options = null, Normalization? normalization = null)
    {
        using var labels = set.Labels.To(DType.Int64, Device.Cpu);
        if (set.Zca is { } tensors)
        {
            using var zca = ZcaTransform.FromTensors(tensors);
            using var scope = new TensorScope();
            using var noGrad = Tensors.NoGrad();
            var pixels = zca.Invert(set.Images.To(DType.Float32, Device.Cpu));
            return Render(pixels, labels.ToArray<long>(), set.IsDistilled, set.Info.NumClasses, Normalization.Identity((int)pixels.Size(1)), options);
        }
        return Render(set.Images, labels.ToArray<long>(), set.IsDistilled, set.Info.NumClasses,
                      normalization ?? NormalizationText.TryResolve(set.Info.Normalization), options);
    }

    /// <summary>Pixels in [0,1] as float32 (N·C·H·W).</summary>
    private static float[] ToUnitPixels(Tensor images, Normalization? norm)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var x = images.Detach().To(DType.Float32, Device.Cpu);
        int ch = (int)x.Size(1);
        if (norm is not null)
        {
            if (norm.Channels != ch) throw new ArgumentException($"normalisation '{norm.Name}' has {norm.Channels} channels, the images have {ch}");
            x = x * Tensors.FromArray(norm.Std, 1, ch, 1, 1) + Tensors.FromArray(norm.Mean, 1, ch, 1, 1);
        }
        else
        {
            var lo = x.AMin([1, 2, 3], keepDim: true);
            var hi = x.AMax([1, 2, 3], keepDim: true);
            x = (x - lo) / (hi - lo + 1e-12);
        }
        return x.Clamp(0, 1).Contiguous().ToArray<float>();
    }

    private static void DrawImage(SKCanvas canvas, SKPaint fill, float[] px, int index, int ch, int h, int w, int x0, int y0, int scale)
    {
        int plane = h * w, offset = index * ch * plane;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte R(int c) => (byte)Math.Round(px[offset + c * plane + y * w + x] * 255);
                fill.Color = ch == 1 ? new SKColor(R(0), R(0), R(0)) : new SKColor(R(0), R(1), R(2));
                canvas.DrawRect(x0 + x * scale, y0 + y * scale, scale, scale, fill);
            }
    }
}
