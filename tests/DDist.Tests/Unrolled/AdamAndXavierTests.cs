using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Tests.Unrolled;

/// <summary>DD's optimiser (Adam, β = (0.5, 0.999)) and initialisation (xavier_normal, zero biases).</summary>
[Collection(SerialRngCollection.Name)]
public class AdamAndXavierTests
{
    [Fact]
    public void Adam_TwoSteps_MatchTheBiasCorrectedFormula()
    {
        using var scope = new TensorScope();
        var p = Tensors.FromArray(new double[] { 1.0, -2.0 });
        using var adam = new Adam(0.5, 0.999);
        double[] g1 = [0.3, -4], g2 = [-0.1, 2];
        adam.Step([p], [Tensors.FromArray(g1)], 0.01);
        adam.Step([p], [Tensors.FromArray(g2)], 0.01);
        double[] expected = new double[2];
        for (int i = 0; i < 2; i++)
        {
            double m = 0, v = 0, x = i == 0 ? 1.0 : -2.0;
            foreach (var (g, t) in new[] { (g1[i], 1), (g2[i], 2) })
            {
                m = 0.5 * m + 0.5 * g;
                v = 0.999 * v + 0.001 * g * g;
                double mh = m / (1 - Math.Pow(0.5, t)), vh = v / (1 - Math.Pow(0.999, t));
                x -= 0.01 * mh / (Math.Sqrt(vh) + 1e-8);
            }
            expected[i] = x;
        }
        var got = p.ToArray<double>();
        Assert.Equal(expected[0], got[0], 12);
        Assert.Equal(expected[1], got[1], 12);
    }

    [Fact]
    public void Xavier_DrawsWeightsWithTheXavierStd_AndZeroBiases()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(2);
        var net = ModelZoo.Create("LeNet", 1, 10, 28, 28);
        var w = XavierInit.Draw(net, gain: 2.0);
        foreach (var slot in net.Layout)
        {
            var piece = w.Narrow(0, slot.Offset, slot.Count);
            if (slot.Name.EndsWith(".bias")) { Assert.Equal(0, piece.Abs().Max().Item()); continue; }
            long rf = slot.Shape.Skip(2).Aggregate(1L, (a, b) => a * b);
            double std = 2.0 * Math.Sqrt(2.0 / (slot.Shape[1] * rf + slot.Shape[0] * rf));
            double measured = piece.Std().Item();
            // Relative standard error of a sample std is about 1/√(2n); allow five of them.
            double tol = 5 / Math.Sqrt(2.0 * slot.Count);
            Assert.True(Math.Abs(measured / std - 1) < tol, $"{slot.Name}: std {measured}, expected {std} (±{tol:P0})");
            Assert.True(Math.Abs(piece.Mean().Item()) < 5 * std / Math.Sqrt(slot.Count), $"{slot.Name}: mean {piece.Mean().Item()}");
        }
    }
}

/// <summary>AlexCifarNet's local response norm is differentiated twice by DD's unroll: its gradient and the gradient of
/// a function of its gradient, in float64 against finite differences.</summary>
public class LocalResponseNormGradTests
{
    private static Tensor Lrn(Tensor x) =>
        new DDist.Models.Layers.LocalResponseNormLayer(4, 2.0, 0.75, 1.0).Apply(x, new DDist.Models.Layers.ForwardContext([], null, true));

    [Fact]
    public void FirstAndSecondOrderGradients_MatchFiniteDifferences()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(4);
        var x = Tensors.Randn([1, 5, 2, 2], DType.Float64);
        var c = Tensors.Randn([1, 5, 2, 2], DType.Float64);
        FiniteDifference.AssertGradientMatches(v => Lrn(v).Mul(c).Sum(), x, samples: 20);
        FiniteDifference.AssertGradientMatches(v =>
        {
            var w = v.RequiresGrad ? v : v.Detach().RequiresGrad_();
            var g = Autograd.Grad(Lrn(w).Mul(c).Sum(), w, createGraph: true);
            return g.Square().Sum();
        }, x, samples: 20);
    }
}
