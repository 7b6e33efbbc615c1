using DDist.Data;
using DDist.Torch;

namespace DDist.Pipeline.Stages;

/// <summary>A run's dataset, loaded once per process onto the run's device: the train and test sets in the run's space
/// (mean/std normalised, or ZCA-whitened when the recipe says so), and the training labels on the host.</summary>
public sealed record RunData(RawDataset Raw, ImageDataset Train, ImageDataset Test, Normalization Normalization, long[] Labels) : IDisposable
{
    /// <summary>Where a run folder (or an experts folder) keeps the ZCA transform it whitens with.</summary>
    public const string ZcaFile = "zca.safetensors";

    /// <summary>The whitening the images are in, when the recipe asks for ZCA (owned here; the sets share it).</summary>
    public ZcaTransform? Zca { get; init; }

    /// <summary>The space's name, as small sets and experts record it: the normalisation's, or "zca".</summary>
    public string Space => Train.Space;

    /// <summary>Images of this dataset (a subset of its training set, say) brought into the run's space.</summary>
    public ImageDataset Prepare(RawImageSet images, Device device) => Into(images, Normalization, Zca, device, Raw.Name);

    private static ImageDataset Into(RawImageSet images, Normalization norm, ZcaTransform? zca, Device device, string name) =>
        zca is null ? ImageDataset.FromRaw(images, norm, device, name) : ImageDataset.FromRaw(images, zca, device, name);

    /// <summary>Reads the recipe's dataset. With ZCA, the transform is fitted once per run folder, on the whole training
    /// set's [0,1] pixels, and kept at <paramref name="zcaPath"/>; every later process (another Slurm task, a resumed run,
    /// another machine) reads it back rather than fitting its own, which could differ in the last bits. The fitting
    /// process reads it back too, so all of them whiten with the same float32 tensors.</summary>
    public static RunData Load(string dataset, bool zca, string zcaPath, Device device, Action<string>? log = null) =>
        From(DatasetRegistry.Load(dataset), zca, zcaPath, device, log);

    /// <summary><see cref="Load"/> on a dataset already read (a runner that checks it before anything is written).</summary>
    public static RunData From(RawDataset raw, bool zca, string zcaPath, Device device, Action<string>? log = null)
    {
        var norm = DatasetRegistry.NormalizationFor(raw);
        ZcaTransform? transform = null;
        ImageDataset? train = null;
        try
        {
            transform = zca ? FitOrRead(raw.Train, zcaPath, device, log) : null;
            train = Into(raw.Train, norm, transform, device, raw.Name);
            var test = Into(raw.Test, norm, transform, device, raw.Name);
            using var labels = train.Labels.To(DType.Int64, Device.Cpu);
            // Whitened sets carry the identity as their normalisation (ZCA replaces mean/std, as in MTT and DATM).
            return new RunData(raw, train, test, transform is null ? norm : Normalization.Identity(raw.Train.Channels), labels.ToArray<long>()) { Zca = transform };
        }
        catch { train?.Dispose(); transform?.Dispose(); throw; }
    }

    private static ZcaTransform FitOrRead(RawImageSet train, string path, Device device, Action<string>? log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Held while fitting, so two processes starting together fit once; released when disposed or the process dies.
        using var held = Pipeline.ExclusiveFileLock.Wait(path + ".lock", TimeSpan.FromSeconds(1), null);
        if (!File.Exists(path))
        {
            log?.Invoke($"ZCA: fitting on the {train.Count} training images → {path}");
            using var fitted = ZcaTransform.Fit(train);
            fitted.Save(path);
        }
        return ZcaTransform.Load(path, device);
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
        Zca?.Dispose();
    }
}
