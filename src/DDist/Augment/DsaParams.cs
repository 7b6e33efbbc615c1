namespace DDist.Augment;

/// <summary>How many op families one DSA call applies: 'S' draws one family per call, 'M' applies all of them in order.</summary>
public enum DsaMode { Single, Multiple }

/// <summary>DSA hyper-parameters (Zhao &amp; Bilen 2021, DSA `utils.py` ParamDiffAug). <see cref="AlignCorners"/> is the
/// affine_grid/grid_sample convention of the scale and rotate warps: true in MTT, SEL and DATM, false (PyTorch's
/// default) in the DC/DSA/DM code.</summary>
public sealed record DsaParams
{
    public DsaMode Mode { get; init; } = DsaMode.Single;
    public double ProbFlip { get; init; } = 0.5;
    /// <summary>Scale factors are drawn in [1/RatioScale, RatioScale).</summary>
    public double RatioScale { get; init; } = 1.2;
    /// <summary>Rotation angles are drawn in [−RatioRotate, RatioRotate) degrees.</summary>
    public double RatioRotate { get; init; } = 15.0;
    /// <summary>Translation of up to round(RatioCropPad·H) pixels.</summary>
    public double RatioCropPad { get; init; } = 0.125;
    /// <summary>Cutout square side round(RatioCutout·H).</summary>
    public double RatioCutout { get; init; } = 0.5;
    public double Brightness { get; init; } = 1.0;
    public double Saturation { get; init; } = 2.0;
    public double Contrast { get; init; } = 0.5;
    public bool AlignCorners { get; init; } = true;

    /// <summary>The defaults of MTT, SEL and DATM (align_corners = true).</summary>
    public static DsaParams Default { get; } = new();
    /// <summary>The defaults of the DC/DSA/DM repository, whose warps use align_corners = false.</summary>
    public static DsaParams DatasetCondensation { get; } = new() { AlignCorners = false };
}
