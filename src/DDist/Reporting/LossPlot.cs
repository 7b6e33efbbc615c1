using DDist.Distillation;
using ScottPlot;

namespace DDist.Reporting;

/// <summary>Trajectory-matching loss (top) and the learned step size (bottom, the synthetic learning rate α of
/// Cazenavette et al. 2022, MTT `distill.py` `syn_lr`) against the distillation iteration, one line per method.</summary>
public static class LossPlot
{
    public static byte[] Render(IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves, int width = 800, int height = 640) =>
        PlotRendering.Png(Build(curves), width, height);

    public static void Save(string path, IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves) =>
        PngFile.Save(Render(curves), path);

    /// <summary>The two panels before rendering: plot 0 the loss, plot 1 the step size.</summary>
    internal static Multiplot Build(IReadOnlyList<(string Method, IReadOnlyList<LossPoint> Curve)> curves)
    {
        var drawn = curves.Where(c => c.Curve.Count > 0).ToList();
        if (drawn.Count == 0) throw new ArgumentException("no loss points to plot", nameof(curves));
        var multiplot = new Multiplot();
        var loss = PlotRendering.NewPlot("Trajectory matching loss", "iteration", "normalised matching loss");
        var lr = PlotRendering.NewPlot("Learned step size", "iteration", "step size α (syn_lr)");
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
