namespace DDist.Selection;

/// <summary>How a grid's points divide by the score kind that cut them, for every view of the grid (report table and
/// plot, `ddist window`): points written before points named their kind name none, so a grid resumed across versions
/// is still one kind.</summary>
public static class WindowPointKinds
{
    /// <summary>The kinds the points name, in the order first met (the recipe's order).</summary>
    public static IReadOnlyList<string> Of(IEnumerable<WindowPoint> points) => points.Select(p => p.ScoreKind).OfType<string>().Distinct().ToList();

    /// <summary>Whether the points come from a search over several kinds.</summary>
    public static bool Several(IEnumerable<WindowPoint> points) => Of(points).Count > 1;

    /// <summary>The order the views list points in: by kind (when several) in the recipe's order, then by β.</summary>
    public static IReadOnlyList<WindowPoint> InOrder(IReadOnlyList<WindowPoint> points)
    {
        var kinds = Of(points).ToList();
        return kinds.Count > 1 ? points.OrderBy(p => kinds.IndexOf(p.ScoreKind!)).ThenBy(p => p.Beta).ToList() : points.OrderBy(p => p.Beta).ToList();
    }
}
