namespace DDist.Augment;

/// <summary>One DSA op family; color applies brightness, saturation and contrast in that order.</summary>
public enum DsaFamily { Color, Crop, Cutout, Flip, Scale, Rotate }

/// <summary>DSA strategy strings: op family names joined by '_', applied in the given order.</summary>
public static class DsaStrategies
{
    public const string Default = "color_crop_cutout_flip_scale_rotate";
    /// <summary>The DSA README's choice for digits: "flip augmentation is not good for digit datasets".</summary>
    public const string NoFlip = "color_crop_cutout_scale_rotate";

    /// <summary>The strategy the reference uses for a dataset: no flip for MNIST and SVHN, the full one otherwise.</summary>
    public static string ForDataset(string dataset) => AugmentOptions.ForDataset(dataset).DsaStrategy;

    /// <summary>True for datasets of digits (MNIST, SVHN), where mirrored images change meaning.</summary>
    public static bool IsDigitDataset(string dataset) =>
        dataset.Trim().ToLowerInvariant() is "mnist" or "svhn";

    /// <summary>The strategy without its flip family ("none" when nothing else is left).</summary>
    public static string WithoutFlip(string strategy)
    {
        var kept = Parse(strategy).Where(f => f != DsaFamily.Flip).Select(f => f.ToString().ToLowerInvariant()).ToArray();
        return kept.Length == 0 ? "none" : string.Join('_', kept);
    }

    /// <summary>True when the strategy holds the flip family.</summary>
    public static bool Flips(string strategy) => Parse(strategy).Contains(DsaFamily.Flip);

    /// <summary>The families of a strategy string, in order; "none" or an empty string gives none.</summary>
    public static IReadOnlyList<DsaFamily> Parse(string strategy)
    {
        var s = strategy.Trim();
        if (s.Length == 0 || s.Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        return s.Split('_').Select(token => token.ToLowerInvariant() switch
        {
            "color" => DsaFamily.Color,
            "crop" => DsaFamily.Crop,
            "cutout" => DsaFamily.Cutout,
            "flip" => DsaFamily.Flip,
            "scale" => DsaFamily.Scale,
            "rotate" => DsaFamily.Rotate,
            _ => throw new ArgumentException($"DSA strategy '{strategy}': unknown op '{token}', expected color, crop, cutout, flip, scale or rotate joined by '_' (or 'none')"),
        }).ToArray();
    }
}
