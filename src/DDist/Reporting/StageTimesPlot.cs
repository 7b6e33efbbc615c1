namespace DDist.Reporting;

/// <summary>The time of each pipeline stage (what every process spent on it) as horizontal bars, in run order from the top, in the unit that
/// suits the longest stage (seconds, minutes or hours).</summary>
public static class StageTimesPlot
{
    public static byte[] Render(IReadOnlyList<(string Stage, TimeSpan Time)> stages, int width = 800) =>
        PlotRendering.Png(Build(stages), width, 120 + 36 * stages.Count);

    public static void Save(string path, IReadOnlyList<(string Stage, TimeSpan Time)> stages) => PngFile.Save(Render(stages), path);

    /// <summary>The unit the axis uses: its name and its length in seconds.</summary>
    public static (string Name, double Seconds) Unit(IReadOnlyList<(string Stage, TimeSpan Time)> stages)
    {
        var longest = stages.Max(s => s.Time);
        return longest.TotalHours >= 2 ? ("h", 3600.0) : longest.TotalMinutes >= 2 ? ("min", 60.0) : ("s", 1.0);
    }

    /// <summary>The plot before rendering; stage i is drawn at y = count − 1 − i, its length in <see cref="Unit"/>s.</summary>
    internal static ScottPlot.Plot Build(IReadOnlyList<(string Stage, TimeSpan Time)> stages)
    {
        if (stages.Count == 0) throw new ArgumentException("no stage times to plot", nameof(stages));
        foreach (var s in stages)
            if (s.Time < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(stages), $"stage '{s.Stage}' took {s.Time}, expected a non-negative time");
        var (unit, perUnit) = Unit(stages);
        var plot = PlotRendering.NewPlot("Stage times", $"time ({unit})", "");
        // Top to bottom in run order: the first stage gets the highest position.
        var positions = Enumerable.Range(0, stages.Count).Select(i => (double)(stages.Count - 1 - i)).ToArray();
        var bars = stages.Select((s, i) => new ScottPlot.Bar
        {
            Position = positions[i],
            Value = s.Time.TotalSeconds / perUnit,
            FillColor = PlotRendering.Color(0),
            Label = (s.Time.TotalSeconds / perUnit).ToString(perUnit == 1 ? "0.0" : "0.00", System.Globalization.CultureInfo.InvariantCulture),
        }).ToArray();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontName = PlotFonts.Family;
        plot.Axes.Left.SetTicks(positions, stages.Select(s => s.Stage).ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Margins(left: 0, right: 0.15);
        return plot;
    }
}
