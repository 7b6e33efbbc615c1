namespace DDist.Torch.Tests;

/// <summary>Views, joins, splits and indexing: gradients must land on the right elements (and accumulate where
/// an element is used more than once).</summary>
public class ShapeGradTests
{
    // Built lazily inside each test's scope so that the index tensors are freed with it.
    private static Tensor Idx(params long[] values) => TestData.Longs(values, values.Length);

    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> Inputs)> Ops = new()
    {
        ["reshape"] = (x => x[0].Reshape(4, 6), One),
        ["reshape -1"] = (x => x[0].Reshape(-1, 3), One),
        ["view"] = (x => x[0].View(6, 4), One),
        ["permute"] = (x => x[0].Permute(2, 0, 1), One),
        ["transpose"] = (x => x[0].Transpose(0, 2), One),
        ["T"] = (x => x[0].T(), () => [TestData.Normal(51, 3, 5)]),
        ["contiguous after permute"] = (x => x[0].Permute(1, 2, 0).Contiguous().View(12, 2), One),
        ["narrow"] = (x => x[0].Narrow(1, 1, 2), One),
        ["slice step 2"] = (x => x[0].Slice(2, 0, 4, 2), One),
        ["slice negative start"] = (x => x[0].Slice(1, -2, 3), One),
        ["select"] = (x => x[0].Select(1, 2), One),
        ["select negative"] = (x => x[0].Select(-1, -1), One),
        ["squeeze unsqueeze"] = (x => x[0].Unsqueeze(1).Mul(x[0].Unsqueeze(1)).Squeeze(1), One),
        ["flatten"] = (x => x[0].Flatten(1), One),
        ["clone"] = (x => x[0].Clone(), One),
        ["alias"] = (x => x[0].Alias().Mul(2), One),
        ["index_select repeated"] = (x => x[0].IndexSelect(2, Idx(3, 0, 0, 2)), One),
        ["gather"] = (x => x[0].Gather(2, TestData.Longs([0, 3, 1, 1, 2, 2, 3, 0, 1, 0, 2, 3], 2, 3, 2)), One),
        // Scatter's index must not repeat within a column, or which source wins is unspecified.
        ["scatter"] = (x => x[0].Scatter(1, TestData.Longs([2, 0, 1, 2, 0, 1, 2, 0], 2, 2, 2), x[1]),
                       () => [TestData.Normal(52, 2, 3, 4), TestData.Normal(53, 2, 2, 2)]),
        ["scatter_add repeated"] = (x => x[0].ScatterAdd(2, TestData.Longs([0, 0, 3, 1, 3, 3, 2, 2, 0, 1, 1, 1], 2, 3, 2), x[1]),
                                    () => [TestData.Normal(54, 2, 3, 4), TestData.Normal(55, 2, 3, 2)]),
        ["cat"] = (x => Tensors.Cat([x[0], x[1].Mul(3), x[2]], 1),
                   () => [TestData.Normal(56, 2, 1, 4), TestData.Normal(57, 2, 3, 4), TestData.Normal(58, 2, 2, 4)]),
        ["stack"] = (x => Tensors.Stack([x[0], x[1].Exp()], 2), () => [TestData.Normal(59, 2, 3), TestData.Normal(60, 2, 3)]),
        ["split sizes"] = (x => { var p = x[0].Split([1, 2], 1); return Tensors.Cat([p[1].Exp(), p[0].Mul(-2)], 1); }, One),
        ["split chunk"] = (x => { var p = x[0].Split(3, 2); return p[0].Sum(2).Mul(p[1].Sum(2)); }, One),
        ["flip"] = (x => x[0].Flip(0, 2).Mul(x[0]), One),
        ["roll"] = (x => x[0].Roll([1, -2], [1, 2]).Mul(x[0]), One),
        ["expand"] = (x => x[0].Expand(2, 3, 4).Mul(x[1]), () => [TestData.Normal(61, 3, 1), TestData.Normal(62, 2, 3, 4)]),
        ["repeat"] = (x => x[0].Repeat(2, 1, 2).Mul(TestData.Normal(63, 4, 3, 8)), One),
        ["pad last dim"] = (x => x[0].Pad([1, 2], 0.5).Exp(), One),
        ["pad two dims"] = (x => x[0].Pad([1, 1, 0, 2]).Exp(), One),
        ["masked_fill"] = (x => x[0].MaskedFill(TestData.Normal(64, 2, 3, 4).Gt(0), -1.5).Exp(), One),
        ["masked_select"] = (x => x[0].MaskedSelect(TestData.Normal(65, 2, 3, 4).Gt(0)), One),
        ["to float64 copy"] = (x => x[0].To(DType.Float64).Mul(x[0]), One),
    };

    private static Tensor[] One() => [TestData.Normal(50, 2, 3, 4)];

    public static TheoryData<string> Names => new(Ops.Keys);

    [Theory, MemberData(nameof(Names))]
    public void FirstOrder(string name)
    {
        using var scope = new TensorScope();
        var (f, inputs) = Ops[name];
        GradCheck.FirstOrder(f, inputs());
    }

    [Fact]
    public void IndexingValues()
    {
        using var scope = new TensorScope();
        var x = Tensors.Arange(24, DType.Float64).Reshape(2, 3, 4);
        Assert.Equal(new double[] { 8, 9, 10, 11, 20, 21, 22, 23 }, x.Select(1, 2).ToArray<double>());
        Assert.Equal(new double[] { 3, 0, 0, 7, 4, 4 }, x.Narrow(0, 0, 1).Narrow(1, 0, 2).IndexSelect(2, Idx(3, 0, 0)).ToArray<double>());
        Assert.Equal(new double[] { 0, 2, 4, 6 }, x.Slice(2, 0, 4, 2).Narrow(0, 0, 1).Narrow(1, 0, 2).ToArray<double>());
        Assert.Equal(new double[] { 1, 2, 5 }, Tensors.Arange(6, DType.Float64).Reshape(3, 2).Gather(1, TestData.Longs([1, 0, 1], 3, 1)).ToArray<double>());
        Assert.Equal(new double[] { 3, 0, 1, 2 }, Tensors.Arange(4, DType.Float64).Roll([1], [0]).ToArray<double>());
        Assert.Equal(new double[] { 3, 2, 1, 0 }, Tensors.Arange(4, DType.Float64).Flip(0).ToArray<double>());
        Assert.Equal(new double[] { 9, 0, 1, 9, 9 }, Tensors.Arange(2, DType.Float64).Pad([1, 2], 9).ToArray<double>());
        var added = Tensors.Zeros([4], DType.Float64).ScatterAdd(0, Idx(1, 1, 3), Tensors.FromArray(new double[] { 1, 2, 5 }));
        Assert.Equal(new double[] { 0, 3, 0, 5 }, added.ToArray<double>());
        var split = Tensors.Arange(5, DType.Float64).Split(2);
        Assert.Equal([2L, 2L, 1L], split.Select(s => s.NumEl));
        Assert.Equal(new long[] { 0, 1, 0, 0, 0, 1 }, Idx(1, 2).OneHot(3).Reshape(6).ToArray<long>());
    }
}
