namespace DDist.Data;

/// <summary>What a registered dataset must look like once read: splits, image shape, classes, and how its files are laid out.</summary>
/// <param name="Name">Canonical registry name.</param>
/// <param name="LayoutFolder">The folder the official archive extracts to (e.g. "cifar-10-batches-bin"), or "" when the
/// files sit directly in the dataset folder.</param>
/// <param name="DefaultNormalization">The constants the reference code uses for this dataset (DC `utils.py`
/// get_dataset).</param>
/// <param name="SmallestTrainClass">Training images of the smallest class of the official training set (MNIST's classes
/// are unequal: digit 5 has 5421). A recipe is checked against it before any data is read; reading the data checks it
/// back.</param>
public sealed record DatasetSpec(
    string Name, string Title, int Channels, int Height, int Width, int NumClasses, int TrainCount, int TestCount,
    string LayoutFolder, Normalization DefaultNormalization, int SmallestTrainClass)
{
    /// <summary>Throws, naming <paramref name="source"/>, when a read dataset does not have this spec's sizes.</summary>
    public void Check(RawDataset data, string source)
    {
        CheckSplit(data.Train, "training", TrainCount, source);
        CheckSplit(data.Test, "test", TestCount, source);
        int smallest = data.Train.ClassCounts().Min();
        if (smallest != SmallestTrainClass)
            throw new InvalidDataException($"{source}: {Name}'s smallest training class has {smallest} images, expected {SmallestTrainClass}");
    }

    private void CheckSplit(RawImageSet set, string split, int expectedCount, string source)
    {
        if (set.Count != expectedCount)
            throw new InvalidDataException($"{source}: {Name} {split} split has {set.Count} images, expected {expectedCount}");
        if (set.Channels != Channels || set.Height != Height || set.Width != Width)
            throw new InvalidDataException(
                $"{source}: {Name} {split} images are {set.Channels}x{set.Height}x{set.Width}, expected {Channels}x{Height}x{Width} (CxHxW)");
        if (set.NumClasses != NumClasses)
            throw new InvalidDataException($"{source}: {Name} has {set.NumClasses} class names, expected {NumClasses}");
    }
}
