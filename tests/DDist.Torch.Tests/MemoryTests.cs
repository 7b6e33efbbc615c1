using System.Diagnostics;
using Xunit.Abstractions;
using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>Native memory stays flat over a long training loop with per-step scopes (handles, the bytes CPU tensors
/// hold, resident memory), and failing calls leak nothing. Serial: the counters and RSS are process-wide.</summary>
[Collection(SerialCollection.Name)]
public class MemoryTests(ITestOutputHelper output)
{
    private const int Iterations = 5000, WarmUp = 200, CheckEvery = 500;
    private const long RssGrowthBoundBytes = 50L << 20;

    [Fact]
    public void TrainingLoopKeepsTensorCountsAndRssFlat()
    {
        using var outer = new TensorScope();
        Tensors.ManualSeed(7);
        var parameters = new[]
        {
            Tensors.Randn([4, 1, 3, 3]).Mul(0.3), Tensors.Zeros([4]),
            Tensors.Randn([10, 64]).Mul(0.1), Tensors.Zeros([10]),
        }.Select(p => p.RequiresGrad_()).ToArray();
        var images = Tensors.Randn([8, 1, 8, 8]);
        var labels = Tensors.RandInt(0, 10, [8]);

        long live = 0, native = 0, rssAfterWarmUp = 0, tensorBytes = 0;
        double firstLoss = 0, lastLoss = 0;
        var rssTrace = new List<string>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Iterations; i++)
        {
            using (var scope = new TensorScope())
            {
                double loss = TrainingStep(parameters, images, labels, lr: 0.05);
                if (i == 0) firstLoss = loss;
                lastLoss = loss;
            }
            if (i + 1 == WarmUp)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                (live, native, rssAfterWarmUp, tensorBytes) = (Tensor.LiveCount, Tensor.NativeLiveCount, RssBytes(), CpuTensorBytes());
            }
            else if (i + 1 > WarmUp && (i + 1) % CheckEvery == 0)
            {
                Assert.True(live == Tensor.LiveCount, $"iteration {i + 1}: {Tensor.LiveCount} managed tensors alive, {live} after warm-up");
                Assert.True(native == Tensor.NativeLiveCount, $"iteration {i + 1}: {Tensor.NativeLiveCount} native handles, {native} after warm-up");
                Assert.True(tensorBytes == CpuTensorBytes(), $"iteration {i + 1}: CPU tensors hold {CpuTensorBytes()} bytes, {tensorBytes} after warm-up");
                rssTrace.Add($"{(RssBytes() - rssAfterWarmUp) / 1024.0 / 1024.0:F1}");
            }
        }
        long growth = RssBytes() - rssAfterWarmUp;
        output.WriteLine($"{Iterations} steps in {clock.Elapsed.TotalSeconds:F2} s; RSS growth after warm-up {growth / 1024.0 / 1024.0:F1} MiB; " +
                         $"live tensors {live} managed / {native} native; loss {firstLoss:F3} -> {lastLoss:F3}; " +
                         $"RSS growth every {CheckEvery} steps (MiB): {string.Join(" ", rssTrace)}");
        Assert.True(growth < RssGrowthBoundBytes, $"RSS grew by {growth / 1024.0 / 1024.0:F1} MiB over {Iterations - WarmUp} steps");
        Assert.True(lastLoss < firstLoss * 0.5, $"the loop did not train: loss {firstLoss} -> {lastLoss}");
    }

    /// <summary>conv 3×3 (1→4, padding 1) → ReLU → 2×2 max pool → linear 64→10, cross-entropy, one SGD step.</summary>
    private static double TrainingStep(Tensor[] p, Tensor images, Tensor labels, double lr)
    {
        var h = MaxPool2d(Functional.Conv2d(images, p[0], p[1], padding: 1).Relu(), 2);
        var loss = CrossEntropy(Linear(h.Flatten(1), p[2], p[3]), labels);
        var grads = Autograd.Grad([loss], p);
        using (Tensors.NoGrad())
            for (int k = 0; k < p.Length; k++) p[k].AddInPlace(grads[k]!, -lr);
        return loss.Item();
    }

    private static long CpuTensorBytes() => TensorMemory.Of(Device.Cpu)!.Value.AllocatedBytes;

    private static long RssBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [Fact]
    public void FailingCallsLeakNoHandles()
    {
        using var outer = new TensorScope();
        var a = Tensors.Zeros([2, 3]);
        var b = Tensors.Zeros([4, 5]);
        var x = Tensors.Ones([3]).RequiresGrad_();
        var unused = Tensors.Ones([3]).RequiresGrad_();
        var y = x.Sum();
        (long live, long native) = (Tensor.LiveCount, Tensor.NativeLiveCount);
        const int Rounds = 100;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            Assert.Throws<TorchException>(() => a.MatMul(b));
            Assert.Throws<TorchException>(() => a.Split([1, 3], 1));
            Assert.Throws<TorchException>(() => a.Max(5));
            Assert.Throws<TorchException>(() => Tensors.Cat([a, b], 0));
            Assert.Throws<TorchException>(() => Autograd.Grad([y], [x, unused], retainGraph: true));
        }
        output.WriteLine($"{clock.Elapsed.TotalMilliseconds / (5 * Rounds):F2} ms per failing call");
        Assert.Equal(live, Tensor.LiveCount);
        Assert.Equal(native, Tensor.NativeLiveCount);
    }

    [Fact]
    public void ScopeFreesNativeHandles()
    {
        (long live, long native) = (Tensor.LiveCount, Tensor.NativeLiveCount);
        using (var scope = new TensorScope())
        {
            var t = Tensors.Ones([3]);
            for (int i = 0; i < 10; i++) t = t.Add(1);
            Assert.Equal(11, scope.Count);
            Assert.Equal(live + 11, Tensor.LiveCount);
            Assert.Equal(native + 11, Tensor.NativeLiveCount);
        }
        Assert.Equal(live, Tensor.LiveCount);
        Assert.Equal(native, Tensor.NativeLiveCount);
    }
}
