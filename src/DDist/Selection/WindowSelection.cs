namespace DDist.Selection;

/// <summary>Which part of a window is frozen (kept real) when SelMatch distils the rest.</summary>
public enum FrozenPart
{
    /// <summary>Released code: the harder spc images L[ths : ths+spc] stay real, the easier cpc are distilled.</summary>
    Harder,
    /// <summary>Alternative: the easier spc images stay real, the harder cpc L[ths : ths+cpc] are distilled.</summary>
    Easier,
}

/// <summary>A class-balanced window of training indices: per class, the selected (frozen, real) part and the
/// distilled (learnable) part, both as training indices in hardest-first order.</summary>
public sealed record WindowChoice(double Beta, int Ipc, int[] Start, int[][] Frozen, int[][] Distilled)
{
    public int NumClasses => Frozen.Length;
    /// <summary>All window indices of class c (frozen and distilled).</summary>
    public IEnumerable<int> All(int c) => Frozen[c].Concat(Distilled[c]);
    public int[] AllIndices() => Enumerable.Range(0, NumClasses).SelectMany(All).ToArray();
}

/// <summary>The sliding-window selection of SelMatch (Lee et al. ICML 2024; `eval.py --method window`, `distill.py`
/// 'window' init): the window of IPC examples per class at difficulty offset β, optionally split into a frozen and a
/// distilled part by the distilled fraction α (the share of each class's window that is learnable; not the student's
/// step size, which trajectory matching calls LrInit / the learned lr).</summary>
public static class WindowSelection
{
    /// <summary>cpc = ⌊IPC·α⌋ distilled images per class, α the distilled fraction (double product, then floor: 50·0.6 → 30).</summary>
    public static int DistilledPerClass(int ipc, double distilledFraction) => WindowOffsetMath.FloorProduct(ipc, distilledFraction);

    /// <summary>spc = IPC − cpc frozen (selected) images per class.</summary>
    public static int FrozenPerClass(int ipc, double distilledFraction) => ipc - DistilledPerClass(ipc, distilledFraction);

    /// <summary>The window for β with IPC per class. α = 0 gives a pure selection (everything frozen);
    /// α = 1 makes everything learnable (plain MTT initialised from the window).</summary>
    public static WindowChoice Choose(DifficultyRanking ranking, double beta, int ipc, WindowOffset reading,
                                      double distilledFraction = 0, FrozenPart frozen = FrozenPart.Harder,
                                      WindowOverflow overflow = WindowOverflow.Reject)
    {
        if (!(beta >= 0 && beta <= 1)) throw new ArgumentOutOfRangeException(nameof(beta), $"β = {beta}, expected a value in [0, 1]");
        if (!(distilledFraction >= 0 && distilledFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(distilledFraction), $"distilled fraction α = {distilledFraction}, expected a value in [0, 1]");
        if (ipc <= 0) throw new ArgumentOutOfRangeException(nameof(ipc), $"IPC = {ipc}, expected at least 1");
        int cpc = DistilledPerClass(ipc, distilledFraction), spc = ipc - cpc;
        int k = ranking.NumClasses;
        var starts = new int[k];
        var frozenIdx = new int[k][];
        var distilledIdx = new int[k][];
        for (int c = 0; c < k; c++)
        {
            var list = ranking.Class(c);
            int n = list.Count;
            if (ipc > n) throw new ArgumentOutOfRangeException(nameof(ipc), $"IPC = {ipc} but class {c} has only {n} training examples");
            int ths = WindowOffsetMath.Start(reading, beta, ipc, n);
            if (ths + ipc > n)
            {
                if (overflow == WindowOverflow.Reject)
                    throw new ArgumentOutOfRangeException(nameof(beta),
                        $"β = {beta} ({reading.Name()}) starts class {c}'s window at {ths}, and {ths}+{ipc} runs past its {n} examples; lower β or allow shifting the window back");
                ths = n - ipc;
            }
            starts[c] = ths;
            var window = list.Skip(ths).Take(ipc).ToArray();
            (frozenIdx[c], distilledIdx[c]) = frozen == FrozenPart.Harder
                ? (window[..spc], window[spc..])
                : (window[cpc..], window[..cpc]);
        }
        return new WindowChoice(beta, ipc, starts, frozenIdx, distilledIdx);
    }
}
