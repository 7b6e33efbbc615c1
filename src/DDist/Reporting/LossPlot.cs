using DDist.Distillation;
using ScottPlot;

namespace DDist.Reporting;

/// <summary>What the loss plot's panels are titled and how a report names them: trajectory matching's (the default)
/// or DD's, whose loss is that of networks trained with the learned steps and whose step size is their mean.</summary>
public sealed record LossPlotText(string LossTitle, string LossAxis, string LrTitle, string LrAxis, string Caption, string LrName)
{
    public static readonly LossPlotText Matching = new("Trajectory matching loss", "normalised matching loss", "Learned step size",
        "step size α (syn_lr)", "matching loss and learned step size", "learned step size");
    public static readonly LossPlotText Unrolled = new("Loss after the learned steps", "cross-entropy on the real batch", "Mean learned step size",
        "mean α over the steps", "loss on each real batch of networks trained with the learned steps, and the mean learned step size", "mean learned step size");
}

/// <summary>Trajectory-matching loss (top) and the learned step size (bottom, the synthetic learning rate α of
/// Cazenavette et al. 2022, MTT `distill.py` `syn_lr`) against the distillation iteration, one line per method; or
/// DD's loss and mean step size (<see cref="LossPlotText.Unrolled"/>).</summary>
public static class LossPlot
{
    public static byte[] Render(IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves, int width = 800, int height = 640, LossPlotText? text = null) =>
        PlotRendering.Png(Build(curves, text), width, height);

    public static void Save(string path, IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves, LossPlotText? text = null) =>
        PngFile.Save(Render(curves, text: text), path);

    /// <summary>The two panels before rendering: plot 0 the loss, plot 1 the step size.</summary>
    internal static Multiplot Build(IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves, LossPlotText? text = null)
    {
        var drawn = curves.Where(c => c.Curve.Count > 0).ToList();
        if (drawn.Count == 0) throw new ArgumentException("no loss points to plot", nameof(curves));
        text ??= LossPlotText.Matching;
        var multiplot = new Multiplot();
        var loss = PlotRendering.NewPlot(text.LossTitle, "iteration", text.LossAxis);
        var lr = PlotRendering.NewPlot(text.LrTitle, "iteration", text.LrAxis);
        multiplot.Reset(loss);                        // replaces the empty plot a new multiplot starts with
        multiplot.AddPlot(lr);
        for (int i = 0; i < drawn.Count; i++)
        {
            var (method, curve) = drawn[i];
            Line(loss, method, PlotRendering.Finite(curve.Select(p => ((double)p.Iteration, p.Loss))), i);
            Line(lr, method, PlotRendering.Finite(curve.Select(p => ((double)p.Iteration, p.Lr))), i);
        }
        PlotRendering.LegendOutside(loss);
        PlotRendering.LegendOutside(lr);
        // Same room for the left axis in both panels, so their iteration axes line up.
        loss.Axes.Left.MinimumSize = lr.Axes.Left.MinimumSize = 90;
        return multiplot;
    }

    private static void Line(Plot plot, string method, (double[] X, double[] Y) xy, int index)
    {
        var line = plot.Add.ScatterLine(xy.X, xy.Y, PlotRendering.Color(index));
        line.LineWidth = 2;
        line.LegendText = method;
    }
}
