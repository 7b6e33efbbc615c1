namespace DDist.Selection;

/// <summary>Where the sliding window starts inside each class's hardest-first list, for a given β. The released
/// SelMatch code and the paper disagree (SelMatch `distill.py`/`eval.py` use ths = int(ipc·β), while the paper, and
/// the β grids of `scripts/sliding_window`, appear to read β as a fraction of the class); both readings are
/// offered.</summary>
public enum WindowOffset
{
    /// <summary>Released code: ths = ⌊IPC·β⌋ (Python <c>int(ipc*beta)</c>, computed in double, so 50·0.6 → 30).</summary>
    FractionOfIpc,
    /// <summary>Paper: ths = ⌊β·N_c⌋, the β point of each class's own difficulty-sorted list (N_c = class size).</summary>
    FractionOfClass,
}

/// <summary>What to do when a window [ths, ths+IPC) runs past the end of a class's list.</summary>
public enum WindowOverflow
{
    /// <summary>Throw, naming β, the class and its size (the default: a silently moved window is a different experiment).</summary>
    Reject,
    /// <summary>Move the window back so it ends at the class's last (easiest) example: ths = N_c − IPC.</summary>
    ShiftBack,
}

public static class WindowOffsetMath
{
    /// <summary>⌊x⌋ of a product computed in double, exactly as Python's int(a*b) for non-negative values.</summary>
    public static int FloorProduct(int a, double b) => (int)Math.Floor(a * b);

    /// <summary>The start of class c's window before any overflow handling.</summary>
    public static int Start(WindowOffset reading, double beta, int ipc, int classSize) => reading switch
    {
        WindowOffset.FractionOfIpc => FloorProduct(ipc, beta),
        WindowOffset.FractionOfClass => FloorProduct(classSize, beta),
        _ => throw new ArgumentOutOfRangeException(nameof(reading)),
    };

    public static string Name(this WindowOffset w) => w switch
    {
        WindowOffset.FractionOfIpc => "fraction-of-ipc",
        WindowOffset.FractionOfClass => "fraction-of-class",
        _ => throw new ArgumentOutOfRangeException(nameof(w)),
    };

    public static WindowOffset ParseWindowOffset(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "fraction-of-ipc" or "fractionofipc" or "ipc" => WindowOffset.FractionOfIpc,
        "fraction-of-class" or "fractionofclass" or "class" => WindowOffset.FractionOfClass,
        _ => throw new InvalidDataException($"{where}: window offset '{text}', expected 'fraction-of-ipc' (released code) or 'fraction-of-class' (paper)"),
    };
}
