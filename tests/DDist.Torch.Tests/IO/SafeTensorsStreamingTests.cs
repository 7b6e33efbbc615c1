using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class SafeTensorsStreamingTests
{
    private const int Count = 300;

    private static string WriteMany(TempDirectory dir)
    {
        using var scope = new TensorScope();
        var path = dir.File("many.safetensors");
        // Tensor i holds 16 copies of i; shapes alternate so offsets are irregular.
        SafeTensors.Save(path, Enumerable.Range(0, Count).Select(i =>
            KeyValuePair.Create($"t{i:D3}", i % 2 == 0 ? Tensors.Full([16], i) : Tensors.Full([4, 4], i, DType.Float64))));
        return path;
    }

    [Fact]
    public void ReadsOneTensorOutOfMany()
    {
        using var dir = new TempDirectory();
        var path = WriteMany(dir);
        using var scope = new TensorScope();
        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(Count, file.Names.Count);
        Assert.Equal("t000", file.Names[0]);
        Assert.Equal("t299", file.Names[^1]);
        Assert.True(file.Contains("t137"));
        var info = file.Info("t137");
        Assert.Equal(DType.Float64, info.DType);
        Assert.Equal(new long[] { 4, 4 }, info.Shape);

        var t = file.Read("t137");
        Assert.Equal(Enumerable.Repeat(137.0, 16), t.ToArray<double>());
        var u = file.Read("t288");
        Assert.Equal(Enumerable.Repeat(288f, 16), u.ToArray<float>());
        // Reading the same tensor twice gives the same values (no shared stream position to trip over).
        Assert.Equal(t.ToArray<double>(), file.Read("t137").ToArray<double>());
    }

    [Fact]
    public void ThreadsReadTensorsOfOneOpenFileConcurrently()
    {
        using var dir = new TempDirectory();
        var path = WriteMany(dir);
        using var file = SafeTensorsFile.Open(path);
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var t = file.Read($"t{i:D3}");
            using var d = t.To(DType.Float64);
            if (d.ToArray<double>().Any(v => v != i)) wrong.Add($"t{i:D3}");
        });
        Assert.Empty(wrong);
    }
}
