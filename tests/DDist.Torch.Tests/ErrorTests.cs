using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>Bad calls surface as .NET exceptions with a message that names the problem, and the engine keeps
/// working afterwards (each test also runs a valid op after its failure).</summary>
public class ErrorTests
{
    private static void StillWorks()
    {
        using var scope = new TensorScope();
        Assert.Equal(6.0, Tensors.Ones([2, 3], DType.Float64).Sum().Item());
    }

    [Fact]
    public void ShapeMismatch()
    {
        using (var scope = new TensorScope())
        {
            var ex = Assert.Throws<TorchException>(() => Tensors.Zeros([2, 3]).Add(Tensors.Zeros([4, 5])));
            Assert.Contains("must match the size of tensor b", ex.Message);
            ex = Assert.Throws<TorchException>(() => Linear(Tensors.Zeros([2, 3]), Tensors.Zeros([4, 5])));
            Assert.Contains("cannot be multiplied", ex.Message);
            ex = Assert.Throws<TorchException>(() => Tensors.Zeros([2, 3]).View(4, 2));
            Assert.Contains("invalid for input of size 6", ex.Message);
            ex = Assert.Throws<TorchException>(() => Functional.Conv2d(Tensors.Zeros([1, 3, 5, 5]), Tensors.Zeros([2, 4, 3, 3])));
            Assert.Contains("expected input[1, 3, 5, 5] to have 4 channels", ex.Message);
            var argEx = Assert.Throws<ArgumentException>(() => Tensors.FromArray(new float[5], 2, 3));
            Assert.Contains("needs 6 elements, got 5", argEx.Message);
        }
        StillWorks();
    }

    [Fact]
    public void WrongDType()
    {
        using (var scope = new TensorScope())
        {
            var d = Tensors.Ones([3], DType.Float64);
            var ex = Assert.Throws<InvalidOperationException>(() => d.ToArray<float>());
            Assert.Contains("Float64", ex.Message);
            Assert.Contains("Float32", ex.Message);
            Assert.Throws<InvalidOperationException>(() => d.CopyTo<long>(new long[3]));

            var logits = Tensors.Zeros([4, 3]);
            // Float labels shaped (N) are read as class indices and rejected for their dtype; the message must say
            // which argument is wrong and what it should be.
            var te = Assert.Throws<TorchException>(() => CrossEntropy(logits, Tensors.Zeros([4])));
            Assert.Contains("against target Tensor([4], Float32, cpu)", te.Message);
            Assert.Contains("expected scalar type Long but found Float", te.Message);
            Assert.Contains("Int64 class indices", te.Message);
            te = Assert.Throws<TorchException>(() => CrossEntropy(logits, Tensors.Zeros([4, 2])));
            Assert.Contains("against target Tensor([4, 2], Float32, cpu)", te.Message);
            te = Assert.Throws<TorchException>(() => CrossEntropy(logits, Tensors.Zeros([4], DType.Int32)));
            Assert.Contains("Int32", te.Message);
            te = Assert.Throws<TorchException>(() => Tensors.Ones([2, 2]).MatMul(Tensors.Ones([2, 2], DType.Float64)));
            Assert.Contains("expected scalar type Float but found Double", te.Message);
        }
        StillWorks();
    }

    [Fact]
    public void IndexOutOfRange()
    {
        using (var scope = new TensorScope())
        {
            var x = Tensors.Zeros([3, 4]);
            var ex = Assert.Throws<TorchException>(() => x.IndexSelect(0, TestData.Longs([0, 3], 2)));
            Assert.Contains("out of range", ex.Message);
            ex = Assert.Throws<TorchException>(() => x.Select(1, 4));
            Assert.Contains("out of range", ex.Message);
            ex = Assert.Throws<TorchException>(() => x.Gather(1, TestData.Longs([7, 0, 0], 3, 1)));
            Assert.Contains("out of bounds", ex.Message);
            ex = Assert.Throws<TorchException>(() => x.Sum(2));
            Assert.Contains("out of range", ex.Message);
            Assert.Throws<TorchException>(() => CrossEntropy(x, TestData.Longs([0, 1, 4], 3)));
            Assert.Throws<ArgumentOutOfRangeException>(() => x.Split(0L));
        }
        StillWorks();
    }

    [Fact]
    public void UseAfterDispose()
    {
        var t = Tensors.Ones([2]);
        var alias = t.Alias();
        t.Dispose();
        Assert.True(t.IsDisposed);
        var ex = Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Contains("after Dispose", ex.Message);
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        Assert.Throws<ObjectDisposedException>(() => Tensors.Cat([alias, t]));
        t.Dispose();   // disposing twice is harmless
        Assert.Equal("Tensor(disposed)", t.ToString());
        // Other handles to the same storage are unaffected.
        Assert.Equal(2.0, alias.Sum().Item());
        alias.Dispose();
        StillWorks();
    }

    [Fact]
    public void UnusedInputsInGrad()
    {
        using (var scope = new TensorScope())
        {
            var x = Tensors.Ones([3], DType.Float64).RequiresGrad_();
            var unused = Tensors.Ones([3], DType.Float64).RequiresGrad_();
            var y = x.Square().Sum();
            var grads = Autograd.Grad([y], [x, unused], retainGraph: true, allowUnused: true);
            Assert.Equal(new double[] { 2, 2, 2 }, grads[0]!.ToArray<double>());
            Assert.Null(grads[1]);
            var ex = Assert.Throws<TorchException>(() => Autograd.Grad([y], [x, unused], retainGraph: true));
            Assert.Contains("not have been used in the graph", ex.Message);
            ex = Assert.Throws<TorchException>(() => Autograd.Grad(y, unused));
            Assert.Contains("not have been used in the graph", ex.Message);

            var constant = Tensors.Ones([3], DType.Float64);
            ex = Assert.Throws<TorchException>(() => Autograd.Grad([constant.Sum()], [x]));
            Assert.Contains("does not require grad", ex.Message);
            Assert.Throws<ArgumentException>(() => Autograd.Grad([y], [x], gradOutputs: [null, null]));
        }
        StillWorks();
    }

    [Fact]
    public void BackwardTwiceWithoutRetainingTheGraphFails()
    {
        using (var scope = new TensorScope())
        {
            var x = Tensors.Ones([3], DType.Float64).RequiresGrad_();
            var y = x.Exp().Sum();
            y.Backward();
            Assert.Equal(Math.E, x.Grad!.ToArray<double>()[0], 12);
            var ex = Assert.Throws<TorchException>(() => y.Backward());
            Assert.Contains("second time", ex.Message);
        }
        StillWorks();
    }

    [Fact]
    public void ErrorMessagesBelongToTheirThread()
    {
        using var scope = new TensorScope();
        var ex = Assert.Throws<TorchException>(() => Tensors.Zeros([2]).Select(0, 9));
        // Blocking on .Result is deliberate: this thread stays busy, so the task's error is raised on another one
        // (a failed assertion there still comes back through the task, unlike on a bare Thread).
#pragma warning disable xUnit1031
        string other = Task.Run(() =>
        {
            using var s = new TensorScope();
            return Assert.Throws<TorchException>(() => Tensors.Zeros([2, 3]).View(5)).Message;
        }).Result;
#pragma warning restore xUnit1031
        Assert.Contains("out of range", ex.Message);
        Assert.Contains("invalid for input of size 6", other);
        Assert.DoesNotContain("invalid for input", ex.Message);
    }
}
