using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>What a layer needs during one forward pass: views of the flat parameter vector (one per
/// <see cref="ParamSlot"/>), the batch-norm running statistics and the train/eval mode.</summary>
internal sealed class ForwardContext(Tensor[] parameters, NetState? state, bool training)
{
    public bool Training { get; } = training;

    public Tensor Param(int slot) => parameters[slot];

    /// <summary>Running (mean, var) of batch-norm layer <paramref name="index"/>, or null when no state was given.</summary>
    public (Tensor Mean, Tensor Var)? Running(int index) => state is null ? null : state.Buffers[index];
}
