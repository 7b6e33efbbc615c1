using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

/// <summary>The real C-score (Jiang et al.) and forgetting-count files the selection methods read.</summary>
public class ScoreFilesTests
{
    [SharedScoresFact]
    public void Cifar10CScores()
    {
        var npz = Npy.LoadNpz(SharedScores.PathOf("cscores_CIFAR10.npz"));
        var labels = npz["labels"];
        var scores = npz["scores"];
        Assert.Equal("<i8", labels.Descr);
        Assert.Equal("<f8", scores.Descr);
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal(DType.Float64, scores.DType);
        Assert.Equal(new long[] { 50000 }, labels.Shape);
        Assert.Equal(new long[] { 50000 }, scores.Shape);

        var l = labels.ToLongs();
        Assert.Equal(new long[] { 6, 9, 9, 4, 1, 1, 2, 7, 8, 3 }, l[..10]);
        Assert.All(l.CountBy(x => x), kv => Assert.Equal(5000, kv.Value));
        Assert.Equal(10, l.Distinct().Count());

        var s = scores.ToDoubles();
        Assert.InRange(s.Min(), 0.0041, 0.0042);
        Assert.InRange(s.Max(), 0.9149, 0.9150);
        Assert.Equal(0.7031369162340079, s[0]);
    }

    [SharedScoresFact]
    public void Cifar100CScoresAreDeflated()
    {
        var npz = Npy.LoadNpz(SharedScores.PathOf("cscores_CIFAR100.npz"));
        var l = npz["labels"].ToLongs();
        Assert.Equal(50000, l.Length);
        Assert.Equal(new long[] { 19, 29, 0, 11, 1, 86, 90, 28, 23, 31 }, l[..10]);
        Assert.All(l.CountBy(x => x), kv => Assert.Equal(500, kv.Value));
        var s = npz["scores"].ToDoubles();
        Assert.Equal(50000, s.Length);
        Assert.All(s, v => Assert.InRange(v, 0.0, 1.0));
    }

    [SharedScoresFact]
    public void Cifar10ForgettingCounts()
    {
        var a = Npy.Load(SharedScores.PathOf("forgetting_CIFAR10.npy"));
        Assert.Equal("<f4", a.Descr);
        Assert.Equal(new long[] { 50000 }, a.Shape);
        var v = a.ToDoubles();
        Assert.Equal(55.4, v.Max(), 4);
        Assert.Equal(5.09, v.Average(), 2);
        Assert.Equal(0.0, v.Min());

        // The tensor path agrees with the managed conversion.
        using var scope = new TensorScope();
        var t = a.ToTensor();
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(v.Sum(), t.To(DType.Float64).Sum().Item(), 6);
    }

    [SharedScoresFact]
    public void Cifar100AndTinyImageNetForgettingCounts()
    {
        var c100 = Npy.Load(SharedScores.PathOf("forgetting_CIFAR100.npy"));
        Assert.Equal(new long[] { 50000 }, c100.Shape);
        Assert.Equal(DType.Float32, c100.DType);
        var tiny = Npy.Load(SharedScores.PathOf("forgetting_Tiny.npy"));
        Assert.Equal(new long[] { 100000 }, tiny.Shape);
        Assert.Equal(DType.Float32, tiny.DType);
        Assert.All(tiny.ToDoubles(), x => Assert.InRange(x, 0.0, 100.0));
    }
}
