namespace DDist.Data;

/// <summary>Index subsets for small tests and CPU recipes. Results are class-major (class 0's rows first), ascending
/// original order within each class, so a subset keeps the dataset's order; randomness comes from <c>new Random(seed)</c>.</summary>
public static class SubsetSampler
{
    /// <summary>The first <paramref name="perClass"/> rows of every class.</summary>
    public static long[] FirstPerClass(IReadOnlyList<int> labels, int numClasses, int perClass) =>
        Pick(labels, numClasses, perClass, (rows, _) => rows.Take(perClass));

    /// <summary><paramref name="perClass"/> rows of every class drawn uniformly without replacement.</summary>
    public static long[] ClassBalanced(IReadOnlyList<int> labels, int numClasses, int perClass, int seed)
    {
        var random = new Random(seed);
        return Pick(labels, numClasses, perClass, (rows, _) =>
        {
            var shuffled = rows.ToArray();
            random.Shuffle(shuffled);
            return shuffled.Take(perClass).Order();
        });
    }

    /// <summary><paramref name="take"/> of <paramref name="count"/> rows drawn uniformly without replacement, ascending.</summary>
    public static long[] Random(int count, int take, int seed)
    {
        if (take < 0 || take > count) throw new ArgumentOutOfRangeException(nameof(take), $"cannot take {take} of {count} rows");
        var all = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(all);
        return all.Take(take).Order().ToArray();
    }

    private static long[] Pick(IReadOnlyList<int> labels, int numClasses, int perClass, Func<long[], int, IEnumerable<long>> choose)
    {
        if (perClass < 0) throw new ArgumentOutOfRangeException(nameof(perClass), $"perClass must be non-negative, got {perClass}");
        var byClass = ClassIndex.Group(labels, numClasses, i => (long)i);
        var result = new List<long>(numClasses * perClass);
        for (int c = 0; c < numClasses; c++)
        {
            if (byClass[c].Length < perClass)
                throw new ArgumentException($"class {c} has {byClass[c].Length} images, fewer than the {perClass} per class requested");
            result.AddRange(choose(byClass[c], c));
        }
        return result.ToArray();
    }
}
