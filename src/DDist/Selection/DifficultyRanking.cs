namespace DDist.Selection;

/// <summary>Each class's training indices ordered hardest first. Ordering keys, in turn: the primary score in its
/// hard direction (C-score ascending, forgetting descending), then the optional tie-break in its direction, then
/// the training index ascending — so ties keep dataset order, as Python's stable sorted(reverse=True) does.</summary>
public sealed class DifficultyRanking
{
    private readonly int[][] _byClass;

    private DifficultyRanking(int[][] byClass) => _byClass = byClass;

    public int NumClasses => _byClass.Length;

    /// <summary>Hardest-first training indices of class <paramref name="c"/>.</summary>
    public IReadOnlyList<int> Class(int c) => _byClass[c];

    public int ClassSize(int c) => _byClass[c].Length;

    public int SmallestClass => _byClass.Min(l => l.Length);

    /// <summary>The same ranking without <paramref name="heldOut"/> (e.g. a validation split): each class keeps its
    /// order, so windows are cut from the remaining examples only and class sizes shrink accordingly.</summary>
    public DifficultyRanking Without(IReadOnlySet<int> heldOut) =>
        heldOut.Count == 0 ? this : new DifficultyRanking(_byClass.Select(l => l.Where(i => !heldOut.Contains(i)).ToArray()).ToArray());

    /// <summary>How alike two rankings of the same examples order each class: Spearman's ρ between the two hardest-first
    /// positions (1 − 6Σd²/(n(n²−1)); the orders are total, so there are no ties), averaged over the classes. Two score
    /// kinds with ρ near 1 cut nearly the same windows, and searching both buys little.</summary>
    public double MeanSpearman(DifficultyRanking other)
    {
        if (other.NumClasses != NumClasses) throw new ArgumentException($"rankings of {NumClasses} and {other.NumClasses} classes", nameof(other));
        double sum = 0;
        for (int c = 0; c < NumClasses; c++)
        {
            var mine = _byClass[c];
            int n = mine.Length;
            if (other._byClass[c].Length != n) throw new ArgumentException($"class {c} holds {n} examples here, {other._byClass[c].Length} there", nameof(other));
            if (n < 2) { sum += 1; continue; }
            var position = new Dictionary<int, int>(n);
            for (int k = 0; k < n; k++) position[mine[k]] = k;
            double d2 = 0;
            for (int k = 0; k < n; k++)
            {
                double d = k - (position.TryGetValue(other._byClass[c][k], out var p) ? p
                    : throw new ArgumentException($"example {other._byClass[c][k]} of class {c} is not ranked here", nameof(other)));
                d2 += d * d;
            }
            sum += 1 - 6 * d2 / (n * ((double)n * n - 1));
        }
        return sum / NumClasses;
    }

    /// <param name="labels">The training set's label per example, in the scores' order.</param>
    public static DifficultyRanking Build(DifficultyScores scores, IReadOnlyList<long> labels, int numClasses)
    {
        scores.CheckAgainst(labels, $"scores from {scores.Source}");
        var members = new List<int>[numClasses];
        for (int c = 0; c < numClasses; c++) members[c] = new List<int>();
        for (int i = 0; i < labels.Count; i++)
        {
            var y = labels[i];
            if (y < 0 || y >= numClasses) throw new ArgumentOutOfRangeException(nameof(labels), $"label {y} of example {i} outside [0, {numClasses})");
            members[y].Add(i);
        }
        var primary = scores.Scores;
        var secondary = scores.TieBreak;
        int pSign = scores.Direction == HardEnd.High ? -1 : 1;       // -1: larger first
        int sSign = scores.TieBreakDirection == HardEnd.High ? -1 : 1;
        int Compare(int a, int b)
        {
            int k = pSign * primary[a].CompareTo(primary[b]);
            if (k != 0) return k;
            if (secondary is not null)
            {
                k = sSign * secondary[a].CompareTo(secondary[b]);
                if (k != 0) return k;
            }
            return a.CompareTo(b);
        }
        var byClass = new int[numClasses][];
        for (int c = 0; c < numClasses; c++)
        {
            var list = members[c].ToArray();
            // Array.Sort is unstable, but the comparison ends on the index, so the order is total and deterministic.
            Array.Sort(list, Compare);
            byClass[c] = list;
        }
        return new DifficultyRanking(byClass);
    }
}
