namespace DDist.Data;

/// <summary>Groups row indices by class label, keeping the original order inside each class.</summary>
internal static class ClassIndex
{
    public static T[][] Group<TLabel, T>(IReadOnlyList<TLabel> labels, int numClasses, Func<int, T> index) where TLabel : struct, IConvertible
    {
        var lists = Enumerable.Range(0, numClasses).Select(_ => new List<T>()).ToArray();
        for (int i = 0; i < labels.Count; i++)
        {
            int label = labels[i].ToInt32(null);
            if (label < 0 || label >= numClasses)
                throw new InvalidDataException($"label {label} at index {i} is outside 0..{numClasses - 1}");
            lists[label].Add(index(i));
        }
        return lists.Select(l => l.ToArray()).ToArray();
    }
}
