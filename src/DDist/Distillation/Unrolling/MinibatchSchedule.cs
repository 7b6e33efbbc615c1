using DDist.Torch;

namespace DDist.Distillation.Unrolling;

/// <summary>The student's mini-batches as the MTT reference draws them (<c>distill.py</c>): a fresh random
/// permutation of the whole set, split into chunks of <c>batch</c>, popped from the end (so the short last chunk
/// comes first), a new permutation when the chunks run out. Draws from libtorch's global generator.</summary>
public sealed class MinibatchSchedule(long count, long batch, Device device) : IDisposable
{
    private readonly Stack<Tensor> _chunks = new();

    /// <summary>The next batch's indices (int64). The caller owns the tensor (it belongs to no scope, so the
    /// schedule survives the per-step scopes of its users): dispose it.</summary>
    public Tensor Next()
    {
        if (_chunks.Count == 0)
        {
            using var scope = new TensorScope();
            foreach (var chunk in Tensors.RandPerm(count, DType.Int64, device).Split(Math.Min(batch, count)))
                _chunks.Push(chunk.DetachFromScope());
        }
        return _chunks.Pop();
    }

    public void Dispose()
    {
        while (_chunks.Count > 0) _chunks.Pop().Dispose();
    }
}
