using DDist.Data;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>A dataset loaded for a command: both splits on the run's device, in the normalisation the reference
/// code uses for it (or, for a small set made in ZCA space, whitened with the set's own transform).</summary>
public sealed class LoadedData : IDisposable
{
    public required RawDataset Raw { get; init; }
    public required ImageDataset Train { get; init; }
    public required ImageDataset Test { get; init; }
    public required Normalization Normalization { get; init; }
    public string Name => Raw.Name;

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

/// <summary>How commands find and load datasets (through the Data library's registry and locator).</summary>
public static class CliData
{
    public static LoadedData Load(string name, Device device, ZcaTransform? zca = null)
    {
        var raw = DatasetRegistry.Load(name);
        var norm = DatasetRegistry.NormalizationFor(raw);
        var train = zca is null ? ImageDataset.FromRaw(raw.Train, norm, device, raw.Name) : ImageDataset.FromRaw(raw.Train, zca, device, raw.Name);
        var test = zca is null ? ImageDataset.FromRaw(raw.Test, norm, device, raw.Name) : ImageDataset.FromRaw(raw.Test, zca, device, raw.Name);
        return new LoadedData { Raw = raw, Train = train, Test = test, Normalization = zca is null ? norm : Normalization.Identity(raw.Train.Channels) };
    }

    /// <summary>(channels, classes, height, width) without reading pixels where the registry knows them.</summary>
    public static (int Channels, int Classes, int Height, int Width) Shape(string name)
    {
        if (DatasetRegistry.TryGetSpec(name) is { } spec) return (spec.Channels, spec.NumClasses, spec.Height, spec.Width);
        var raw = DatasetRegistry.Load(name);
        return (raw.Train.Channels, raw.NumClasses, raw.Train.Height, raw.Train.Width);
    }
}
