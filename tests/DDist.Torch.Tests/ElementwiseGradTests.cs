namespace DDist.Torch.Tests;

/// <summary>Elementwise ops: forward values against System.Math (catches op-code mix-ups, which a gradcheck
/// alone would not), first-order gradchecks, and second-order checks of op(x)²·eˣ.</summary>
public class ElementwiseGradTests
{
    private sealed record UnaryCase(Func<Tensor, Tensor> Op, Func<double, double> Reference, Func<Tensor> Input);

    private static Tensor Normal() => TestData.Normal(11, 3, 4);
    private static Tensor Positive() => TestData.Uniform(12, 0.5, 2.0, 3, 4);
    private static Tensor Signed() => TestData.AwayFromZero(13, 3, 4);

    private static readonly Dictionary<string, UnaryCase> Unary = new()
    {
        ["neg"] = new(t => t.Neg(), x => -x, Normal),
        ["abs"] = new(t => t.Abs(), Math.Abs, Signed),
        ["exp"] = new(t => t.Exp(), Math.Exp, Normal),
        ["log"] = new(t => t.Log(), Math.Log, Positive),
        ["sqrt"] = new(t => t.Sqrt(), Math.Sqrt, Positive),
        ["rsqrt"] = new(t => t.Rsqrt(), x => 1 / Math.Sqrt(x), Positive),
        ["sin"] = new(t => t.Sin(), Math.Sin, Normal),
        ["cos"] = new(t => t.Cos(), Math.Cos, Normal),
        ["tanh"] = new(t => t.Tanh(), Math.Tanh, Normal),
        ["sigmoid"] = new(t => t.Sigmoid(), x => 1 / (1 + Math.Exp(-x)), Normal),
        ["relu"] = new(t => t.Relu(), x => Math.Max(0, x), Signed),
        ["square"] = new(t => t.Square(), x => x * x, Normal),
        ["reciprocal"] = new(t => t.Reciprocal(), x => 1 / x, Signed),
        ["log1p"] = new(t => t.Log1p(), x => Math.Log(1 + x), () => TestData.Uniform(14, -0.5, 2.0, 3, 4)),
        ["leaky_relu"] = new(t => t.LeakyRelu(0.2), x => x > 0 ? x : 0.2 * x, Signed),
        ["sigmoid (Functional)"] = new(Functional.Sigmoid, x => 1 / (1 + Math.Exp(-x)), Normal),
        ["add scalar"] = new(t => t.Add(2.5), x => x + 2.5, Normal),
        ["sub scalar"] = new(t => t.Sub(1.5), x => x - 1.5, Normal),
        ["mul scalar"] = new(t => t.Mul(-1.7), x => -1.7 * x, Normal),
        ["div scalar"] = new(t => t.Div(2.3), x => x / 2.3, Normal),
        ["pow scalar 2.5"] = new(t => t.Pow(2.5), x => Math.Pow(x, 2.5), Positive),
        ["pow scalar 3"] = new(t => t.Pow(3.0), x => x * x * x, Normal),
        ["scalar minus tensor"] = new(t => 2.0 - t, x => 2 - x, Normal),
        ["scalar over tensor"] = new(t => 2.0 / t, x => 2 / x, Signed),
        ["remainder scalar"] = new(t => t.Remainder(1.0), x => x - Math.Floor(x), () => TestData.Uniform(15, 0.1, 0.9, 3, 4)),
        ["clamp min"] = new(t => t.Clamp(min: -0.22), x => Math.Max(x, -0.22), Distinct),
        ["clamp max"] = new(t => t.Clamp(max: 0.31), x => Math.Min(x, 0.31), Distinct),
        ["clamp both"] = new(t => t.Clamp(-0.22, 0.31), x => Math.Clamp(x, -0.22, 0.31), Distinct),
        ["dropout p=0 train"] = new(t => Functional.Dropout(t, 0, training: true), x => x, Normal),
        ["dropout p=0.5 eval"] = new(t => Functional.Dropout(t, 0.5, training: false), x => x, Normal),
    };

    private static Tensor Distinct() => TestData.Distinct(16, [3, 4]);

    public static TheoryData<string> UnaryNames => new(Unary.Keys);

    [Theory, MemberData(nameof(UnaryNames))]
    public void UnaryValuesMatchReference(string name)
    {
        using var scope = new TensorScope();
        var c = Unary[name];
        var x = c.Input();
        var expected = x.ToArray<double>().Select(c.Reference).ToArray();
        Assert.Equal(expected, c.Op(x).ToArray<double>(), new Tolerance(1e-12));
    }

    [Theory, MemberData(nameof(UnaryNames))]
    public void UnaryFirstOrder(string name)
    {
        using var scope = new TensorScope();
        var c = Unary[name];
        GradCheck.FirstOrder(x => c.Op(x[0]), c.Input());
    }

    [Theory, MemberData(nameof(UnaryNames))]
    public void UnarySecondOrder(string name)
    {
        using var scope = new TensorScope();
        var c = Unary[name];
        // op(x)²·eˣ: op(x)² alone is linear for sqrt (and op(x)²·x constant for rsqrt), which would leave
        // their second derivatives unchecked.
        GradCheck.SecondOrder(x => c.Op(x[0]).Mul(c.Op(x[0])).Mul(x[0].Exp()), [c.Input()]);
    }

    private sealed record BinaryCase(Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Reference, Func<(Tensor, Tensor)> Inputs);

    private static readonly Dictionary<string, BinaryCase> Binary = new()
    {
        ["add"] = new((a, b) => a.Add(b), (a, b) => a + b, NormalPair),
        ["add scaled"] = new((a, b) => a.Add(b, -0.7), (a, b) => a - 0.7 * b, NormalPair),
        ["sub"] = new((a, b) => a - b, (a, b) => a - b, NormalPair),
        ["mul"] = new((a, b) => a * b, (a, b) => a * b, NormalPair),
        ["div"] = new((a, b) => a / b, (a, b) => a / b, () => (TestData.Normal(21, 3, 4), TestData.AwayFromZero(22, 3, 4))),
        ["pow"] = new((a, b) => a.Pow(b), Math.Pow, () => (TestData.Uniform(23, 0.5, 2.0, 3, 4), TestData.Normal(24, 3, 4))),
        ["maximum"] = new((a, b) => a.Maximum(b), Math.Max, DistinctPair),
        ["minimum"] = new((a, b) => a.Minimum(b), Math.Min, DistinctPair),
        ["atan2"] = new((a, b) => a.Atan2(b), Math.Atan2, () => (TestData.Normal(25, 3, 4), TestData.AwayFromZero(26, 3, 4))),
    };

    private static (Tensor, Tensor) NormalPair() => (TestData.Normal(27, 3, 4), TestData.Normal(28, 3, 4));
    // The second grid is offset by 0.03 so no element of a ties with one of b.
    private static (Tensor, Tensor) DistinctPair() => (TestData.Distinct(29, [3, 4]), TestData.Distinct(30, [3, 4], offset: 0.03));

    public static TheoryData<string> BinaryNames => new(Binary.Keys);

    [Theory, MemberData(nameof(BinaryNames))]
    public void BinaryValuesMatchReference(string name)
    {
        using var scope = new TensorScope();
        var c = Binary[name];
        var (a, b) = c.Inputs();
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var expected = av.Select((x, i) => c.Reference(x, bv[i])).ToArray();
        Assert.Equal(expected, c.Op(a, b).ToArray<double>(), new Tolerance(1e-12));
    }

    [Theory, MemberData(nameof(BinaryNames))]
    public void BinaryFirstOrder(string name)
    {
        using var scope = new TensorScope();
        var c = Binary[name];
        var (a, b) = c.Inputs();
        GradCheck.FirstOrder(x => c.Op(x[0], x[1]), a, b);
    }

    [Theory, MemberData(nameof(BinaryNames))]
    public void BinaryFirstOrderBroadcast(string name)
    {
        using var scope = new TensorScope();
        var c = Binary[name];
        var (a, b) = c.Inputs();
        // b's first row broadcast against every row of a: the gradient of b must sum over the broadcast dim.
        var row = b.Narrow(0, 0, 1).Reshape(4).Contiguous();
        GradCheck.FirstOrder(x => c.Op(x[0], x[1]), a, row);
    }

    [Theory, MemberData(nameof(BinaryNames))]
    public void BinarySecondOrder(string name)
    {
        using var scope = new TensorScope();
        var c = Binary[name];
        var (a, b) = c.Inputs();
        GradCheck.SecondOrder(x => c.Op(x[0], x[1]).Mul(c.Op(x[0], x[1])), [a, b]);
    }

    [Fact]
    public void WhereRoutesGradientsByCondition()
    {
        using var scope = new TensorScope();
        var condition = TestData.Normal(31, 3, 4).Gt(0);
        GradCheck.FirstOrder(x => Tensors.Where(condition, x[0], x[1]), TestData.Normal(32, 3, 4), TestData.Normal(33, 3, 4));
        GradCheck.FirstOrder(x => x[0].Where(condition, x[1]).Exp(), TestData.Normal(34, 3, 4), TestData.Normal(35, 3, 4));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void SoftmaxAndLogSoftmax(long dim)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(36, 3, 4);
        var sums = x.Softmax(dim).Sum(dim).ToArray<double>();
        Assert.All(sums, s => Assert.Equal(1.0, s, 12));
        Assert.Equal(x.Softmax(dim).Log().ToArray<double>(), x.LogSoftmax(dim).ToArray<double>(), new Tolerance(1e-12));
        GradCheck.FirstOrder(t => t[0].Softmax(dim), x);
        GradCheck.FirstOrder(t => Functional.LogSoftmax(t[0], dim), x);
        GradCheck.SecondOrder(t => t[0].Softmax(dim).Mul(t[0]), [x]);
        GradCheck.SecondOrder(t => Functional.LogSoftmax(t[0], dim), [x]);
    }

    [Fact]
    public void DropoutInTrainingZeroesAndRescales()
    {
        using var scope = new TensorScope();
        var x = Tensors.Ones([2000], DType.Float64);
        var y = Functional.Dropout(x, 0.25, training: true).ToArray<double>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-12, $"dropout kept a value of {v}"));
        double kept = y.Count(v => v != 0) / 2000.0;
        Assert.InRange(kept, 0.70, 0.80);
    }
}
