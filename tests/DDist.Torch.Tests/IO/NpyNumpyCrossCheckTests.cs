using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

/// <summary>Files written by NumPy itself (np.save, np.savez, np.savez_compressed) read back with the right values.</summary>
public class NpyNumpyCrossCheckTests
{
    private const string Writer = """
        import sys, numpy as np
        d = sys.argv[1]
        np.save(d + '/f32.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5) / 4)
        np.save(d + '/i64.npy', np.array([-(2**63), -1, 0, 2**63 - 1], dtype=np.int64))
        np.save(d + '/b.npy', np.array([[True, False], [False, True]]))
        np.save(d + '/scalar.npy', np.float64(6.5))
        np.save(d + '/big.npy', np.zeros(3, dtype='>f8'))
        np.savez(d + '/stored.npz', a=np.arange(5, dtype=np.int32), b=np.linspace(0, 1, 7))
        np.savez_compressed(d + '/deflated.npz', a=np.arange(5, dtype=np.int32), b=np.linspace(0, 1, 7))
        """;

    [PythonNumpyFact]
    public void ReadsWhatNumpyWrites()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        PythonNumpy.RunOk(Writer, dir.Path);

        var f32 = Npy.Load(dir.File("f32.npy"));
        Assert.Equal(new long[] { 2, 3, 4 }, f32.Shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (i - 5) / 4f), f32.ToTensor().ToArray<float>());
        Assert.Equal(new[] { long.MinValue, -1, 0, long.MaxValue }, Npy.Load(dir.File("i64.npy")).ToTensor().ToArray<long>());
        Assert.Equal(new[] { true, false, false, true }, Npy.Load(dir.File("b.npy")).ToTensor().ToArray<bool>());
        var scalar = Npy.Load(dir.File("scalar.npy"));
        Assert.Empty(scalar.Shape);
        Assert.Equal(6.5, scalar.ToDoubles().Single());
        var big = Assert.Throws<InvalidDataException>(() => Npy.Load(dir.File("big.npy")));
        Assert.Contains("'>f8'", big.Message);

        foreach (var name in new[] { "stored.npz", "deflated.npz" })
        {
            var npz = Npy.LoadNpz(dir.File(name));
            Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, npz["a"].ToLongs());
            Assert.Equal(DType.Int32, npz["a"].DType);
            Assert.Equal(Enumerable.Range(0, 7).Select(i => i / 6.0), npz["b"].ToDoubles(), (x, y) => Math.Abs(x - y) < 1e-15);
        }
    }
}
