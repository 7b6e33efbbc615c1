using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Data;

/// <summary>ZCA whitening as MTT and DATM use it (kornia ZCAWhitening, eps 0.1, unbiased covariance; MTT
/// `buffer.py`/`distill.py` --zca, kornia `kornia/enhance/zca.py`): fitted on the [0,1] training images flattened in
/// C,H,W order, x' = (x − μ)·T with T = U diag(1/√(S+ε)) Uᵀ, and the inverse x = x'·T⁻¹ + μ for display. Owns its
/// tensors (float32, on the fitting device).</summary>
public sealed class ZcaTransform : IDisposable
{
    public const double DefaultEpsilon = 0.1;
    /// <summary>What a whitened set or expert records as its normalisation.</summary>
    public const string SpaceName = "zca";
    // Rows of X per covariance chunk: bounds the centred working copy (8192 × 3072 × 4 B = 100 MB).
    private const int ChunkRows = 8192;

    /// <summary>μ, shape (D).</summary>
    public Tensor Mean { get; }
    /// <summary>T, shape (D, D), symmetric.</summary>
    public Tensor Matrix { get; }
    /// <summary>T⁻¹, shape (D, D), symmetric.</summary>
    public Tensor InverseMatrix { get; }
    public double Epsilon { get; }
    public long Dimension => Mean.Size(0);

    private ZcaTransform(Tensor mean, Tensor matrix, Tensor inverse, double epsilon)
    {
        Mean = mean; Matrix = matrix; InverseMatrix = inverse; Epsilon = epsilon;
    }

    /// <summary>Fits on <paramref name="unitImages"/> (N,C,H,W) in [0,1]. Products run in float32 as in kornia, but the
    /// mean and the covariance are summed in float64 and the eigendecomposition (LAPACK, via the shim's
    /// dd_linalg_eigh) runs in float64; T and T⁻¹ are stored as float32.</summary>
    public static ZcaTransform Fit(Tensor unitImages, double epsilon = DefaultEpsilon)
    {
        long n = unitImages.Size(0);
        if (n < 2) throw new ArgumentException($"ZCA needs at least 2 images to estimate a covariance, got {n}", nameof(unitImages));
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive, got {epsilon}");
        using var scope = new TensorScope();
        var x = unitImages.Reshape(n, -1);
        var mean = ChunkedSum(x).Div(n).Unsqueeze(0);
        var covariance = CenteredGram(x, mean).Div(n - 1);
        var (eigenvalues, eigenvectors) = Linalg.Eigh(covariance);
        // Σ is positive semi-definite; rounding can leave tiny negative eigenvalues, which ε (> 0) absorbs.
        var shifted = eigenvalues.Clamp(min: 0).Add(epsilon);
        // T and T⁻¹ are stored in float32, so they are also recomposed in float32 (sgemm).
        var u = eigenvectors.To(DType.Float32);
        return new ZcaTransform(
            mean.Squeeze(0).To(DType.Float32).DetachFromScope(),
            Recompose(u, shifted.Rsqrt().To(DType.Float32)).DetachFromScope(),
            Recompose(u, shifted.Sqrt().To(DType.Float32)).DetachFromScope(),
            epsilon);
    }

    /// <summary>Column sums of X in float64, one chunk converted at a time.</summary>
    private static Tensor ChunkedSum(Tensor x)
    {
        var sum = Torch.Tensors.Zeros([x.Size(1)], DType.Float64, x.Device);
        for (long start = 0; start < x.Size(0); start += ChunkRows)
        {
            using var inner = new TensorScope();
            sum.AddInPlace(x.Narrow(0, start, Math.Min(ChunkRows, x.Size(0) - start)).To(DType.Float64).Sum(0));
        }
        return sum;
    }

    /// <summary>Σ (X−μ)ᵀ(X−μ) over row chunks: each chunk's product in float32, their sum in float64.</summary>
    private static Tensor CenteredGram(Tensor x, Tensor mean)
    {
        long d = x.Size(1);
        var gram = Torch.Tensors.Zeros([d, d], DType.Float64, x.Device);
        var mean32 = mean.To(DType.Float32);
        for (long start = 0; start < x.Size(0); start += ChunkRows)
        {
            using var inner = new TensorScope();
            // The product runs in float32 (sgemm, as kornia does; twice as fast as float64); chunks add up in float64.
            var chunk = x.Narrow(0, start, Math.Min(ChunkRows, x.Size(0) - start)).Sub(mean32);
            gram.AddInPlace(chunk.T().MatMul(chunk).To(DType.Float64));
        }
        return gram;
    }

    /// <summary>U diag(values) Uᵀ.</summary>
    private static Tensor Recompose(Tensor u, Tensor values) => u.Mul(values.Unsqueeze(0)).MatMul(u.T());

    /// <summary>Fits on a raw image set's [0,1] pixels: MTT and DATM fit on their whole training set, before anything else.</summary>
    public static ZcaTransform Fit(RawImageSet train, double epsilon = DefaultEpsilon)
    {
        using var unit = ImageDataset.UnitTensor(train, Device.Cpu);
        return Fit(unit, epsilon);
    }

    /// <summary>Writes the transform as a safetensors file (<see cref="ToTensors"/>' names), atomically.</summary>
    public void Save(string path)
    {
        var tensors = ToTensors();
        try { SafeTensors.Save(path, tensors); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>Reads a transform written by <see cref="Save"/> onto <paramref name="device"/>; a file that is not one is
    /// named with what it lacks.</summary>
    public static ZcaTransform Load(string path, Device? device = null)
    {
        InputFile.Require(path, "ZCA transform");
        var (tensors, _) = SafeTensors.Load(path);
        try { return FromTensors(tensors, device); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>Whitens images (N,C,H,W) with the training μ and T; the result has the same shape.</summary>
    public Tensor Apply(Tensor images) => Transform(images, center: true, Matrix);

    /// <summary>Maps whitened images back to [0,1] pixel space (for pictures).</summary>
    public Tensor Invert(Tensor whitened) => Transform(whitened, center: false, InverseMatrix);

    private Tensor Transform(Tensor images, bool center, Tensor matrix)
    {
        var shape = images.Shape;
        long n = shape[0];
        using var scope = new TensorScope();
        var flat = images.Reshape(n, -1);
        if (flat.Size(1) != Dimension)
            throw new ArgumentException($"images have {flat.Size(1)} values each, the ZCA transform was fitted on {Dimension}", nameof(images));
        var result = center ? flat.Sub(Mean).MatMul(matrix) : flat.MatMul(matrix).Add(Mean);
        return result.Reshape(shape).MoveToOuterScope();
    }

    /// <summary>Names used by <see cref="ToTensors"/>: store them in a safetensors file with the artefacts.</summary>
    public const string MeanKey = "zca.mean", MatrixKey = "zca.matrix", InverseKey = "zca.inverse", EpsilonKey = "zca.epsilon";

    /// <summary>CPU copies of the transform's tensors (the caller owns and disposes them).</summary>
    public Dictionary<string, Tensor> ToTensors()
    {
        using var scope = new TensorScope();
        static Tensor Cpu(Tensor t) => t.To(Device.Cpu).Contiguous().DetachFromScope();
        return new()
        {
            [MeanKey] = Cpu(Mean),
            [MatrixKey] = Cpu(Matrix),
            [InverseKey] = Cpu(InverseMatrix),
            [EpsilonKey] = Torch.Tensors.Scalar(Epsilon, DType.Float64).DetachFromScope(),
        };
    }

    /// <summary>Rebuilds a transform saved by <see cref="ToTensors"/>, copying the tensors to <paramref name="device"/>.</summary>
    public static ZcaTransform FromTensors(IReadOnlyDictionary<string, Tensor> tensors, Device? device = null)
    {
        Tensor Get(string key) => tensors.TryGetValue(key, out var t) ? t
            : throw new InvalidDataException($"ZCA tensors: missing '{key}'; expected {MeanKey}, {MatrixKey}, {InverseKey}, {EpsilonKey}");
        var target = device ?? Device.Cpu;
        var mean = Get(MeanKey);
        long d = mean.Dim == 1 ? mean.Size(0) : throw new InvalidDataException($"ZCA tensors: '{MeanKey}' has shape [{string.Join(", ", mean.Shape)}], expected (D)");
        foreach (var key in new[] { MatrixKey, InverseKey })
            if (Get(key).Shape is not [var r, var c] || r != d || c != d)
                throw new InvalidDataException($"ZCA tensors: '{key}' has shape [{string.Join(", ", Get(key).Shape)}], expected ({d}, {d})");
        return new ZcaTransform(
            mean.To(DType.Float32, target).DetachFromScope(),
            Get(MatrixKey).To(DType.Float32, target).DetachFromScope(),
            Get(InverseKey).To(DType.Float32, target).DetachFromScope(),
            Get(EpsilonKey).Item());
    }

    public void Dispose()
    {
        Mean.Dispose();
        Matrix.Dispose();
        InverseMatrix.Dispose();
    }
}
