namespace DDist.Torch.Tests;

/// <summary>Scope ownership: what a scope frees at its end and what MoveToOuterScope / DetachFromScope keep.</summary>
public class TensorScopeTests
{
    [Fact]
    public void TensorsCreatedInAScopeAreDisposedAtItsEnd()
    {
        Tensor a, b;
        using (var scope = new TensorScope())
        {
            a = Tensors.Ones([2]);
            b = a.Mul(3);
            Assert.Equal(2, scope.Count);
            Assert.False(a.IsDisposed);
        }
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
    }

    [Fact]
    public void MoveToOuterScopeKeepsATensorUntilTheOuterScopeEnds()
    {
        Tensor kept, dropped;
        using (var outer = new TensorScope())
        {
            using (var inner = new TensorScope())
            {
                dropped = Tensors.Ones([2]);
                kept = dropped.Mul(2).MoveToOuterScope();
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(4.0, kept.Sum().Item());
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void MoveToOuterScopeFromTheOutermostScopeHandsOwnershipToTheCaller()
    {
        Tensor t;
        using (var scope = new TensorScope()) t = Tensors.Ones([2]).MoveToOuterScope();
        Assert.False(t.IsDisposed);
        t.Dispose();
        Assert.True(t.IsDisposed);
    }

    [Fact]
    public void DetachFromScopeOutlivesEveryScope()
    {
        Tensor t;
        using (var outer = new TensorScope())
        using (var inner = new TensorScope())
            t = Tensors.Ones([3]).DetachFromScope();
        Assert.False(t.IsDisposed);
        Assert.Equal(3.0, t.Sum().Item());   // created outside any scope: the caller disposes it
        t.Dispose();
    }

    [Fact]
    public void NestedScopesFreeOnlyTheirOwnTensors()
    {
        using var outer = new TensorScope();
        var before = Tensors.Ones([1]);
        Tensor inside;
        using (var inner = new TensorScope())
        {
            inside = before.Add(1);
            Assert.Equal(1, inner.Count);
        }
        var after = before.Add(2);
        Assert.True(inside.IsDisposed);
        Assert.False(before.IsDisposed);
        Assert.False(after.IsDisposed);
        Assert.Equal(2, outer.Count);
    }

    [Fact]
    public void DisposingEarlyOrDisposingTheScopeTwiceIsHarmless()
    {
        var scope = new TensorScope();
        var t = Tensors.Ones([2]);
        t.Dispose();
        scope.Dispose();
        scope.Dispose();
        Assert.True(t.IsDisposed);
        using var next = new TensorScope();
        Assert.Equal(2.0, Tensors.Ones([2]).Sum().Item());
    }

    [Fact]
    public void ScopesArePerThread()
    {
        using var scope = new TensorScope();
        Tensor? fromOtherThread = null;
        var thread = new Thread(() => fromOtherThread = Tensors.Ones([2]));   // a Task could be inlined on this thread
        thread.Start();
        thread.Join();
        Assert.Equal(0, scope.Count);
        scope.Dispose();
        Assert.False(fromOtherThread!.IsDisposed);
        fromOtherThread.Dispose();
    }
}
