using DDist.Models;
using DDist.Torch;

namespace DDist.Training;

/// <summary>Everything that changes while one network trains: the flat parameter vector (a leaf that
/// requires grad), batch-norm running statistics, the optimiser, and the next epoch to run. Owns all three.
/// Checkpointing this plus libtorch's RNG state is enough to resume a run bit for bit.</summary>
public sealed class TrainingState : IDisposable
{
    public Tensor Parameters { get; }
    public NetState NetState { get; }
    public Sgd Optimizer { get; }
    public int NextEpoch { get; set; }

    /// <summary>Takes ownership of <paramref name="parameters"/> and <paramref name="netState"/>.</summary>
    public TrainingState(Tensor parameters, NetState netState, Sgd optimizer, int nextEpoch = 0)
    {
        Parameters = parameters.DetachFromScope();
        if (!Parameters.RequiresGrad) Parameters.RequiresGrad = true;
        NetState = netState;
        foreach (var (m, v) in netState.Buffers) { m.DetachFromScope(); v.DetachFromScope(); }
        Optimizer = optimizer;
        NextEpoch = nextEpoch;
    }

    /// <summary>A freshly initialised network (drawn from libtorch's global RNG) and a fresh optimiser.</summary>
    public static TrainingState Create(INetwork network, TrainOptions options, Device? device = null) =>
        new(network.InitParameters(device), network.CreateState(device), new Sgd(options.Momentum, options.WeightDecay, options.Nesterov));

    public void Dispose()
    {
        Parameters.Dispose();
        NetState.Dispose();
        Optimizer.Dispose();
    }
}
