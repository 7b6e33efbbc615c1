using System.Globalization;
using DDist.Evaluation;

namespace DDist.Selection;

/// <summary>How the window search's best point compares with a random pick of the same size trained the same way. A
/// gap within the two spreads (the sum of their standard deviations over networks) is called a tie: the search's few
/// networks cannot tell the two apart.</summary>
public static class WindowAgainstRandom
{
    /// <param name="nameKind">Say which score kind cut the best window (a search over several kinds).</param>
    public static string Verdict(WindowPoint best, EvalResult random, bool nameKind = false)
    {
        double gap = 100 * (best.Mean - random.Mean), spread = 100 * (best.Std + random.Std);
        string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        string at = Inv($"β {best.Beta:0.###}") + (nameKind && best.ScoreKind is { } kind ? $", {kind} scores" : "");
        if (gap > spread) return Inv($"the best window ({at}) beats it by {gap:F2} points");
        if (-gap > spread)
            return Inv($"it beats every window, the best ({at}) by {-gap:F2} points: at this IPC a window of one difficulty ") +
                   "trains worse than images of every difficulty, and starting from it is unlikely to help";
        return Inv($"it and the best window ({at}) are {Math.Abs(gap):F2} points apart, within their spread ({spread:F2})");
    }
}
