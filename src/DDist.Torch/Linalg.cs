using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>Dense linear algebra beyond <see cref="Tensor.MatMul"/>.</summary>
public static class Linalg
{
    /// <summary>Eigendecomposition of a symmetric matrix (or batch of them), read from the lower triangle
    /// (torch.linalg.eigh). Eigenvalues are ascending; column i of Vectors belongs to Values[i].</summary>
    public static (Tensor Values, Tensor Vectors) Eigh(Tensor a)
    {
        Check(Native.dd_linalg_eigh(a.Ptr, out var values, out var vectors));
        GC.KeepAlive(a);
        return (new Tensor(values), new Tensor(vectors));
    }
}
