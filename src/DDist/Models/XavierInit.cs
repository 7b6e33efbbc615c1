using DDist.Torch;

namespace DDist.Models;

/// <summary>DD's `init = xavier` (Wang et al. 2018, `networks/utils.py` init_weights): conv and linear weights
/// from xavier_normal(gain) = N(0, gain²·2/(fan_in + fan_out)) with fan = channels × receptive field; biases 0;
/// one-dimensional weights (norm layers) 1. Drawn from libtorch's global generator in parameter order.</summary>
public static class XavierInit
{
    public static Tensor Draw(INetwork network, double gain = 1.0, Device? device = null)
    {
        if (!(gain > 0)) throw new ArgumentOutOfRangeException(nameof(gain), gain, "xavier gain must be > 0");
        var flat = Tensors.Empty([network.ParameterCount], DType.Float32, device);
        using var noGrad = Tensors.NoGrad();
        foreach (var slot in network.Layout)
        {
            using var scope = new TensorScope();
            var piece = flat.Narrow(0, slot.Offset, slot.Count);
            if (slot.Shape.Length >= 2)
            {
                long receptive = slot.Shape.Skip(2).Aggregate(1L, (a, b) => a * b);
                double fanIn = slot.Shape[1] * receptive, fanOut = slot.Shape[0] * receptive;
                double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
                piece.CopyFrom(Tensors.Randn([slot.Count], DType.Float32, device).Mul(std));
            }
            else piece.Fill(slot.Name.EndsWith(".bias", StringComparison.Ordinal) ? 0 : 1);
        }
        return flat;
    }
}
