namespace DDist.Torch.Tests;

/// <summary>Reductions over all elements, over one or several dims, with and without keepdim.</summary>
public class ReductionGradTests
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Reductions = new()
    {
        ["sum"] = t => t.Sum(),
        ["sum dim 1"] = t => t.Sum(1),
        ["sum dims 0,2 keepdim"] = t => t.Sum([0, 2], keepDim: true),
        ["mean"] = t => t.Mean(),
        ["mean dim -1 keepdim"] = t => t.Mean(-1, keepDim: true),
        ["mean dims 0,1"] = t => t.Mean([0, 1]),
        ["prod"] = t => t.Prod(),
        ["max"] = t => t.Max(),
        ["min"] = t => t.Min(),
        ["amax dim 2"] = t => t.AMax([2]),
        ["amin dims 0,2 keepdim"] = t => t.AMin([0, 2], keepDim: true),
        ["max(dim) values"] = t => t.Max(1).Values,
        ["min(dim) values keepdim"] = t => t.Min(2, keepDim: true).Values,
        ["var unbiased"] = t => t.Var(),
        ["var biased dim 2"] = t => t.Var([2], correction: 0),
        ["var dims 0,2 keepdim"] = t => t.Var([0, 2], keepDim: true),
        ["std"] = t => t.Std(),
        ["std dim 1 keepdim"] = t => t.Std([1], keepDim: true),
        ["norm 2"] = t => t.Norm(),
        ["norm 2 dim 2"] = t => t.Norm(2, [2]),
        ["norm 1 dims 1,2 keepdim"] = t => t.Norm(1, [1, 2], keepDim: true),
        ["norm 3 dim 0"] = t => t.Norm(3, [0]),
        ["logsumexp dim 2"] = t => t.LogSumExp(2),
        ["logsumexp dims 0,1 keepdim"] = t => t.LogSumExp([0, 1], keepDim: true),
    };

    public static TheoryData<string> Names => new(Reductions.Keys);

    // Distinct values: no ties for max/min and no zeros for the 1-norm's kink.
    private static Tensor Input() => TestData.Distinct(41, [2, 3, 4]);
    // A product of 24 elements of Input() is ~1e-10, too flat to check; these multiply to O(1).
    private static Tensor Input(string name) => name == "prod" ? TestData.Uniform(42, 0.8, 1.25, 2, 3, 4) : Input();

    [Theory, MemberData(nameof(Names))]
    public void FirstOrder(string name)
    {
        using var scope = new TensorScope();
        GradCheck.FirstOrder(x => Reductions[name](x[0]), Input(name));
    }

    [Theory, MemberData(nameof(Names))]
    public void SecondOrder(string name)
    {
        using var scope = new TensorScope();
        var f = Reductions[name];
        GradCheck.SecondOrder(x => f(x[0]).Mul(f(x[0].Sin())), [Input(name)]);
    }

    [Fact]
    public void FullReductionsMatchReference()
    {
        using var scope = new TensorScope();
        var x = Input();
        var v = x.ToArray<double>();
        double mean = v.Average();
        double ssd = v.Sum(a => (a - mean) * (a - mean));
        Assert.Equal(v.Sum(), x.Sum().Item(), 12);
        Assert.Equal(mean, x.Mean().Item(), 12);
        var u = Input("prod");
        Assert.Equal(u.ToArray<double>().Aggregate(1.0, (a, b) => a * b), u.Prod().Item(), 12);
        Assert.Equal(v.Max(), x.Max().Item(), 12);
        Assert.Equal(v.Min(), x.Min().Item(), 12);
        Assert.Equal(ssd / (v.Length - 1), x.Var().Item(), 12);
        Assert.Equal(ssd / v.Length, x.Var(correction: 0).Item(), 12);
        Assert.Equal(Math.Sqrt(ssd / (v.Length - 1)), x.Std().Item(), 12);
        Assert.Equal(Math.Sqrt(v.Sum(a => a * a)), x.Norm().Item(), 12);
        Assert.Equal(v.Sum(Math.Abs), x.Norm(1).Item(), 12);
        Assert.Equal(Math.Log(v.Sum(Math.Exp)), x.LogSumExp([0, 1, 2]).Item(), 12);
    }

    [Fact]
    public void DimReductionsKeepOrDropDims()
    {
        using var scope = new TensorScope();
        var x = Input();
        Assert.Equal(new long[] { 2, 4 }, x.Sum(1).Shape);
        Assert.Equal(new long[] { 1, 3, 1 }, x.Sum([0, 2], keepDim: true).Shape);
        Assert.Equal(new long[] { 2, 3, 1 }, x.Std([2], keepDim: true).Shape);
        var (values, indices) = x.Max(2);
        var v = x.ToArray<double>();
        var expectedIdx = Enumerable.Range(0, 6).Select(r => (long)Array.IndexOf(v, v.Skip(r * 4).Take(4).Max(), r * 4) - r * 4).ToArray();
        Assert.Equal(expectedIdx, indices.ToArray<long>());
        Assert.Equal(expectedIdx, x.ArgMax(2).ToArray<long>());
        Assert.Equal(Enumerable.Range(0, 6).Select(r => v.Skip(r * 4).Take(4).Max()).ToArray(), values.ToArray<double>());
    }
}
