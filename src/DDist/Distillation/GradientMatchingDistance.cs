using DDist.Models;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>How two parameter gradients are compared in gradient matching (Zhao et al. 2021, DC `utils.py`
/// `match_loss`): 'ours' is layer-wise, 'mse' and 'cos' treat all parameters as one vector.</summary>
public enum GradientDistance { LayerWise, Mse, Cosine }

/// <summary>The distance D(g_syn, g_real) between two flat gradients laid out as a network's parameters.</summary>
public static class GradientMatchingDistance
{
    /// <summary>Added to the product of norms, as the reference does, so zero rows do not divide by zero.</summary>
    public const double Epsilon = 1e-6;

    public static GradientDistance Parse(string text, string field) => text.Trim().ToLowerInvariant() switch
    {
        "ours" or "layerwise" or "layer-wise" => GradientDistance.LayerWise,
        "mse" => GradientDistance.Mse,
        "cos" or "cosine" => GradientDistance.Cosine,
        _ => throw new ArgumentException($"field '{field}' is '{text}', expected 'ours' (layer-wise), 'mse' or 'cos'"),
    };

    public static string Name(GradientDistance d) => d switch
    {
        GradientDistance.LayerWise => "ours",
        GradientDistance.Mse => "mse",
        _ => "cos",
    };

    /// <summary>D(gSyn, gReal). LayerWise (DC `distance_wb`): each parameter tensor of two or more dimensions is
    /// viewed as (out, rest) — conv (out, in·k·k), linear (out, in), 3-D norm weights (C, H·W) — and contributes
    /// Σ_rows 1 − ⟨r, s⟩ / (‖r‖·‖s‖ + 1e-6); 1-D tensors (biases, norm γ and β) contribute nothing.
    /// Mse: ‖gSyn − gReal‖². Cosine: 1 − ⟨r, s⟩ / (‖r‖·‖s‖ + 1e-6) over the whole vectors.</summary>
    public static Tensor Compute(Tensor gSyn, Tensor gReal, IReadOnlyList<ParamSlot> layout, GradientDistance metric)
    {
        switch (metric)
        {
            case GradientDistance.Mse:
                return (gSyn - gReal).Square().Sum();
            case GradientDistance.Cosine:
                return 1 - (gSyn * gReal).Sum() / (gSyn.Norm() * gReal.Norm() + Epsilon);
        }
        Tensor? total = null;
        foreach (var slot in layout)
        {
            if (slot.Shape.Length < 2) continue;
            var s = gSyn.Narrow(0, slot.Offset, slot.Count).Reshape(slot.Shape[0], -1);
            var r = gReal.Narrow(0, slot.Offset, slot.Count).Reshape(slot.Shape[0], -1);
            var cos = (r * s).Sum(-1) / (r.Norm(2, [-1]) * s.Norm(2, [-1]) + Epsilon);
            var term = (1 - cos).Sum();
            total = total is null ? term : total + term;
        }
        return total ?? Tensors.Zeros([], gSyn.DType, gSyn.Device);
    }
}
