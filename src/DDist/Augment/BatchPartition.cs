using DDist.Torch;

namespace DDist.Augment;

/// <summary>Puts a batch back together after its samples were split into groups that were augmented differently.</summary>
internal static class BatchPartition
{
    /// <summary>Concatenates <paramref name="parts"/> and restores the original sample order: row k of the
    /// concatenation came from sample <paramref name="positions"/>[k]. Differentiable (cat + index_select).</summary>
    public static Tensor Reassemble(IReadOnlyList<Tensor> parts, IReadOnlyList<long> positions, Device device)
    {
        using var scope = new TensorScope();
        var inverse = new long[positions.Count];
        for (int k = 0; k < positions.Count; k++) inverse[positions[k]] = k;
        return Tensors.Cat(parts).IndexSelect(0, Tensors.FromArray(inverse).To(device)).MoveToOuterScope();
    }
}
