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
        return Select(train, Enumerable.Repeat(ipc, train.NumClasses).ToArray(), seed, normalization, exclude);
    }

    /// <summary>perClass[c] images of class c: random images of the class counts of a set that does not hold the same
    /// number in every class (DD-Ranking's random sets match the ranked set's size). Equal counts draw exactly what
    /// <see cref="Select(ImageDataset, int, ulong, string?, IReadOnlySet{int}?)"/> draws.</summary>
    public static SmallSet Select(ImageDataset train, IReadOnlyList<int> perClass, ulong seed, string? normalization = null, IReadOnlySet<int>? exclude = null)
    {
        if (perClass.Count != train.NumClasses)
            throw new ArgumentException($"dataset '{train.Name}' has {train.NumClasses} classes, the class counts name {perClass.Count}", nameof(perClass));
        if (perClass.Any(n => n < 0) || perClass.Sum() < 1)
            throw new ArgumentOutOfRangeException(nameof(perClass), string.Join(",", perClass), "images per class must be ≥ 0, and at least one image in all");
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
        var chosen = new List<long>(perClass.Sum());
        for (int c = 0; c < byClass.Length; c++)
        {
            var pool = byClass[c].ToArray();
            int ipc = perClass[c];
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

        bool equal = perClass.Distinct().Count() == 1;
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
                Dataset = train.Name, Method = "random", Ipc = perClass.Max(),
                Normalization = normalization ?? train.Space,
                NumClasses = train.NumClasses, Seed = seed,
                Parameters = equal ? new() { ["ipc"] = perClass[0].ToString(CultureInfo.InvariantCulture) }
                                   : new() { ["per_class"] = string.Join(",", perClass.Select(n => n.ToString(CultureInfo.InvariantCulture))) },
            },
        };
    }
}
