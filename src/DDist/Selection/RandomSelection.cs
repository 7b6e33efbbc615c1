using System.Globalization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;

namespace DDist.Selection;

/// <summary>The "Random" baseline: IPC real training images per class, drawn uniformly without replacement.
/// Classes appear in order (class-major), each class's images in the order drawn. Host-side choice from
/// <c>new Random(seed)</c>, so the same seed picks the same indices on every machine.</summary>
public static class RandomSelection
{
    /// <param name="normalization">How the dataset's images are normalised, recorded in the set's info; default the
    /// dataset's own (its normalisation name, or "zca" when whitened — the set then carries the ZCA transform).</param>
    /// <param name="exclude">Training indices never drawn (a validation split); null draws from the whole set.</param>
    public static SmallSet Select(ImageDataset train, int ipc, ulong seed, string? normalization = null, IReadOnlySet<int>? exclude = null)
    {
        if (ipc < 1) throw new ArgumentOutOfRangeException(nameof(ipc), ipc, "images per class must be ≥ 1");
        var labels = train.Labels.To(DType.Int64, Device.Cpu);
        long[] y;
        using (labels) y = labels.ToArray<long>();
        var byClass = Enumerable.Range(0, train.NumClasses).Select(_ => new List<long>()).ToArray();
        for (long i = 0; i < y.Length; i++)
        {
            if (y[i] < 0 || y[i] >= train.NumClasses)
                throw new InvalidDataException($"dataset '{train.Name}': label {y[i]} at index {i} is outside 0..{train.NumClasses - 1}");
            if (exclude is null || !exclude.Contains((int)i)) byClass[y[i]].Add(i);
        }

        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var chosen = new List<long>(ipc * train.NumClasses);
        for (int c = 0; c < byClass.Length; c++)
        {
            var pool = byClass[c].ToArray();
            if (pool.Length < ipc)
                throw new ArgumentException($"dataset '{train.Name}': class {c} ({train.ClassNames[c]}) has {pool.Length} images, fewer than ipc {ipc}");
            // Partial Fisher–Yates: the first ipc slots become a uniform sample without replacement.
            for (int i = 0; i < ipc; i++)
            {
                int j = rng.Next(i, pool.Length);
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            chosen.AddRange(pool.Take(ipc));
        }

        using var scope = new TensorScope();
        var index = Tensors.FromArray(chosen.ToArray()).To(train.Images.Device);
        return new SmallSet
        {
            Images = train.Images.IndexSelect(0, index).To(DType.Float32, Device.Cpu).DetachFromScope(),
            Labels = train.Labels.IndexSelect(0, index).To(DType.Int64, Device.Cpu).DetachFromScope(),
            IsDistilled = new bool[chosen.Count],
            SourceIndex = chosen.ToArray(),
            Zca = train.Zca?.ToTensors(),
            Info = new SmallSetInfo
            {
                Dataset = train.Name, Method = "random", Ipc = ipc,
                Normalization = normalization ?? train.Space,
                NumClasses = train.NumClasses, Seed = seed,
                Parameters = new() { ["ipc"] = ipc.ToString(CultureInfo.InvariantCulture) },
            },
        };
    }
}
