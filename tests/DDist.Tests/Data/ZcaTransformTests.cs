using DDist.Data;
using DDist.Torch;

namespace DDist.Tests.Data;

public class ZcaTransformTests
{
    /// <summary>Correlated data in [0,1]: a random mix of 4 sources over 2×3×3 = 18 dimensions.</summary>
    private static Tensor CorrelatedImages(int n)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(7);
        var sources = Tensors.Rand([n, 4]);
        var mixing = Tensors.Rand([4, 18]).Mul(0.25);
        var noise = Tensors.Rand([n, 18]).Mul(0.05);
        return sources.MatMul(mixing).Add(noise).Reshape(n, 2, 3, 3).MoveToOuterScope();
    }

    private static double[,] Covariance(Tensor flat)
    {
        using var scope = new TensorScope();
        var x = flat.To(DType.Float64);
        var centered = x.Sub(x.Mean(0, keepDim: true));
        var cov = centered.T().MatMul(centered).Div(flat.Size(0) - 1).ToArray<double>();
        int d = (int)flat.Size(1);
        var result = new double[d, d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) result[i, j] = cov[i * d + j];
        return result;
    }

    [Fact]
    public void Whitening_ShrinksCovarianceToSigmaOverSigmaPlusEps()
    {
        using var images = CorrelatedImages(2000);
        using var zca = ZcaTransform.Fit(images, epsilon: 0.1);
        using var scope = new TensorScope();
        var flat = images.Reshape(2000, -1);
        var white = zca.Apply(images);
        Assert.Equal(images.Shape, white.Shape);
        // With T = (Σ+εI)^-1/2: Cov(x') = T Σ T = Σ (Σ+εI)^-1, so Cov(x')·(Σ+εI) = Σ.
        var sigma = Covariance(flat);
        var whiteCov = Covariance(white.Reshape(2000, -1));
        int d = 18;
        double worst = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double lhs = 0;
                for (int k = 0; k < d; k++) lhs += whiteCov[i, k] * (sigma[k, j] + (k == j ? 0.1 : 0));
                worst = Math.Max(worst, Math.Abs(lhs - sigma[i, j]));
            }
        Assert.True(worst < 1e-4, $"max |Cov(x')(Σ+εI) − Σ| = {worst}");
        // Whitened data has (near) zero mean.
        Assert.True(white.Reshape(2000, -1).Mean(0).Abs().Max().Item() < 1e-4);
    }

    [Fact]
    public void Invert_RecoversThePixels()
    {
        using var images = CorrelatedImages(300);
        using var zca = ZcaTransform.Fit(images);
        using var scope = new TensorScope();
        var back = zca.Invert(zca.Apply(images));
        Assert.True(back.Sub(images).Abs().Max().Item() < 1e-4);
    }

    [Fact]
    public void ToTensorsFromTensors_RoundTrips()
    {
        using var images = CorrelatedImages(100);
        using var zca = ZcaTransform.Fit(images, epsilon: 0.05);
        var saved = zca.ToTensors();
        try
        {
            Assert.Equal([ZcaTransform.MeanKey, ZcaTransform.MatrixKey, ZcaTransform.InverseKey, ZcaTransform.EpsilonKey], saved.Keys);
            using var loaded = ZcaTransform.FromTensors(saved);
            Assert.Equal(0.05, loaded.Epsilon);
            using var scope = new TensorScope();
            Assert.Equal(0, zca.Apply(images).Sub(loaded.Apply(images)).Abs().Max().Item());
            saved.Remove(ZcaTransform.InverseKey, out var inverse);
            inverse!.Dispose();
            var e = Assert.Throws<InvalidDataException>(() => ZcaTransform.FromTensors(saved));
            Assert.Contains(ZcaTransform.InverseKey, e.Message);
        }
        finally { foreach (var t in saved.Values) t.Dispose(); }
    }

    [Fact]
    public void FromRaw_WithZca_WhitensUnitPixels()
    {
        var pixels = new byte[50 * 4];
        var random = new Random(3);
        random.NextBytes(pixels);
        var raw = new RawImageSet(pixels, new int[50], 50, 1, 2, 2, ["x"]);
        using var unit = ImageDataset.UnitTensor(raw, Device.Cpu);
        using var zca = ZcaTransform.Fit(unit);
        using var data = ImageDataset.FromRaw(raw, zca, Device.Cpu);
        using var scope = new TensorScope();
        Assert.Same(zca, data.Zca);
        Assert.True(data.Images.Sub(zca.Apply(unit)).Abs().Max().Item() < 1e-6);
        Assert.Throws<ArgumentException>(() => zca.Apply(Tensors.Zeros([1, 1, 3, 3])));
    }

    [Fact]
    public void Eigh_DecomposesASymmetricMatrix()
    {
        using var scope = new TensorScope();
        var a = Tensors.FromArray(new double[] { 2, 1, 0, 1, 2, 0, 0, 0, 5 }, 3, 3);
        var (values, vectors) = Linalg.Eigh(a);
        Assert.Equal([1.0, 3.0, 5.0], values.ToArray<double>().Select(v => Math.Round(v, 10)));
        var reconstructed = vectors.Mul(values.Unsqueeze(0)).MatMul(vectors.T());
        Assert.True(reconstructed.Sub(a).Abs().Max().Item() < 1e-12);
    }
}
