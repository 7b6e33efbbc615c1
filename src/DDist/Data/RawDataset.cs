namespace DDist.Data;

/// <summary>A dataset's train and test splits as read from disk, before normalisation.</summary>
/// <param name="Name">Registry name (e.g. "cifar10", "folder:/path").</param>
/// <param name="Source">The folder the files were read from.</param>
/// <param name="SplitNote">How the test split was formed when the files did not provide one (null when they did).</param>
public sealed record RawDataset(string Name, RawImageSet Train, RawImageSet Test, string Source, string? SplitNote = null)
{
    public int NumClasses => Train.NumClasses;
    public string[] ClassNames => Train.ClassNames;
}
