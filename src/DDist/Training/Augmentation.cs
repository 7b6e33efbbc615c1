using DDist.Augment;

namespace DDist.Training;

/// <summary>Turns an augmentation mode into the <see cref="BatchAugmenter"/> a <see cref="Trainer"/> calls.</summary>
public static class Augmentation
{
    /// <summary>Null for <see cref="AugMode.None"/>. 'combined' gives DSA to the images the training set flags as
    /// distilled and the simple crop+flip to the rest (all of them when the set has no flags).</summary>
    public static BatchAugmenter? For(AugMode mode, AugmentOptions options) => mode switch
    {
        AugMode.None => null,
        AugMode.Combined => (x, distilled) => distilled is null
            ? Augmenter.Apply(x, mode, options, distilledCount: 0)
            : Augmenter.Apply(x, mode, options, distilled),
        _ => (x, _) => Augmenter.Apply(x, mode, options),
    };

    public static AugMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => AugMode.None,
        "dsa" => AugMode.Dsa,
        "simple" => AugMode.Simple,
        "combined" => AugMode.Combined,
        _ => throw new ArgumentException($"unknown augmentation '{text}', expected none, dsa, simple or combined"),
    };

    public static string Name(AugMode mode) => mode.ToString().ToLowerInvariant();
}
