namespace DDist.Data;

/// <summary>Size, shape, class balance and pixel statistics of one split.</summary>
/// <param name="Mean">Per-channel mean of the [0,1] pixels.</param>
/// <param name="Std">Per-channel population standard deviation of the [0,1] pixels.</param>
public sealed record SplitInfo(int Count, int Channels, int Height, int Width, int[] ClassCounts, double[] Mean, double[] Std)
{
    public static SplitInfo Of(RawImageSet set)
    {
        var (mean, std) = Normalization.ChannelStatistics(set);
        return new SplitInfo(set.Count, set.Channels, set.Height, set.Width, set.ClassCounts(), mean, std);
    }
}

/// <summary>What `ddist data info NAME` reports: where the data was read from, both splits, the class names and
/// the normalisation the reference code uses (null for image folders, which have no reference constants).</summary>
public sealed record DatasetInfo(string Name, string Source, string[] ClassNames, SplitInfo Train, SplitInfo Test,
    Normalization? DefaultNormalization, string? SplitNote)
{
    public int NumClasses => ClassNames.Length;

    public static DatasetInfo Of(RawDataset data) => new(
        data.Name, data.Source, data.ClassNames, SplitInfo.Of(data.Train), SplitInfo.Of(data.Test),
        DatasetRegistry.IsFolder(data.Name) ? null : DatasetRegistry.GetSpec(data.Name).DefaultNormalization, data.SplitNote);

    /// <summary>Locates and reads a dataset by name, then describes it.</summary>
    public static DatasetInfo Describe(string name, DatasetLocator? locator = null) => Of(DatasetRegistry.Load(name, locator));
}
