using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

public class BatchNormStateTests
{
    private static readonly ConvNetOptions OneLayerBn = new(3, 4, 8, 8) { Name = "tiny-bn", Width = 6, Depth = 1, Norm = NormKind.BatchNorm };

    [Fact]
    public void TrainingUpdatesRunningStatsWithMomentumAndUnbiasedVariance()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(5);
        var net = ConvNet.Create(OneLayerBn);
        var p = net.InitParameters();
        using var state = net.CreateState();
        var x = Tensors.Randn([5, 3, 8, 8]) * 2 + 1;
        net.Forward(x, p, state, training: true);

        // The first (only) BN sees the conv output; its batch statistics are over (N, H, W).
        var conv = Functional.Conv2d(x, p.Narrow(0, 0, 6 * 27).View(6, 3, 3, 3), p.Narrow(0, 162, 6), padding: 1);
        var mean = conv.Mean([0, 2, 3]);
        var unbiased = conv.Var([0, 2, 3], correction: 1);
        var (runMean, runVar) = state.Buffers[0];
        Assert.True((runMean - mean * 0.1).Abs().Max().Item() < 1e-5);
        Assert.True((runVar - (unbiased * 0.1 + 0.9)).Abs().Max().Item() < 1e-4);
        // Without a state, training forward works and changes nothing.
        var before = state.Buffers[0].Mean.Clone();
        net.Forward(x, p, null, training: true);
        Assert.Equal(0.0, (state.Buffers[0].Mean - before).Abs().Max().Item());
    }

    [Fact]
    public void EvalUsesRunningStatsAndDoesNotUpdateThem()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(6);
        var net = ConvNet.Create(OneLayerBn);
        var p = net.InitParameters();
        using var state = net.CreateState();
        var x = Tensors.Randn([5, 3, 8, 8]) + 0.5;
        var train = net.Forward(x, p, null, training: true);

        // Set the running buffers to this batch's statistics (biased variance, as training-mode BN normalises
        // with): eval must then reproduce the training-mode output.
        var conv = Functional.Conv2d(x, p.Narrow(0, 0, 162).View(6, 3, 3, 3), p.Narrow(0, 162, 6), padding: 1);
        using (Tensors.NoGrad())
        {
            state.Buffers[0].Mean.CopyFrom(conv.Mean([0, 2, 3]));
            state.Buffers[0].Var.CopyFrom(conv.Var([0, 2, 3], correction: 0));
        }
        var eval = net.Forward(x, p, state, training: false);
        Assert.True((eval - train).Abs().Max().Item() < 1e-4);
        var meanAfter = state.Buffers[0].Mean.Clone();
        net.Forward(x, p, state, training: false);
        Assert.Equal(0.0, (state.Buffers[0].Mean - meanAfter).Abs().Max().Item());

        // Fresh buffers (mean 0, var 1) give a different result: eval really reads the state.
        using var fresh = net.CreateState();
        Assert.True((net.Forward(x, p, fresh, training: false) - eval).Abs().Max().Item() > 1e-3);
        Assert.Throws<InvalidOperationException>(() => net.Forward(x, p, null, training: false));
    }
}
