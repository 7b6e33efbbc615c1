using System.Collections;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch.IO;

namespace DDist.Tests.Artifacts;

/// <summary>TorchSaveFile.Open reads each tensor when it is asked for (so `ddist import-experts` holds one expert of a
/// buffer, not the buffer): the values are Load's, in both formats and for tensors that view one storage; a file's
/// structure is checked when it opens, a damaged storage when its tensor is read, and a tensor is not read after the
/// file is closed. Files written by PyTorch itself.</summary>
public sealed class TorchSaveArchiveTests : IDisposable
{
    private readonly TempDir _temp = new();
    public void Dispose() => _temp.Dispose();

    /// <summary>[arange(6).reshape(2,3), 7·ones(4), the three rows of arange(12).reshape(3,4) (views of one storage)].</summary>
    private string Save(string name, bool legacy)
    {
        var path = _temp.Combine(name);
        PythonTorch.RunScript("torch_save_files.py", "archive", path, legacy ? "legacy" : "zip");
        return path;
    }

    private static double[][] Values(object? root) => ((ArrayList)root!).Cast<PickledTensor>().Select(t => t.ToDoubles()).ToArray();

    [PythonTorchTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpenReadsWhatLoadReadsTensorByTensor(bool legacy)
    {
        var path = Save(legacy ? "legacy.pt" : "zip.pt", legacy);
        double[][] expected = [[0, 1, 2, 3, 4, 5], [7, 7, 7, 7], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]];
        Assert.Equal(expected, Values(TorchSaveFile.Load(path)));
        ArrayList root;
        using (var file = TorchSaveFile.Open(path))
        {
            root = (ArrayList)file.Root!;
            Assert.Equal([2, 3], ((PickledTensor)root[0]!).Shape);   // the shape is known before the values are read
            Assert.Equal(expected[0], ((PickledTensor)root[0]!).ToDoubles());
            Assert.Equal(expected[3], ((PickledTensor)root[3]!).ToDoubles());
        }
        // What was read stays; what was not cannot be read from a closed file.
        Assert.Equal(expected[0], ((PickledTensor)root[0]!).ToDoubles());
        var closed = Assert.Throws<ObjectDisposedException>(() => ((PickledTensor)root[1]!).Data);
        Assert.Contains(path, closed.Message);
    }

    [PythonTorchFact]
    public void ADamagedStorageIsNamedWhenItsTensorIsRead()
    {
        var path = Save("damaged.pt", legacy: false);
        // 7·ones(4): sixteen bytes no other storage holds; one of them changed, the zip entry's CRC no longer matches.
        var bytes = File.ReadAllBytes(path);
        byte[] sevens = [.. Enumerable.Repeat(BitConverter.GetBytes(7f), 4).SelectMany(b => b)];
        int at = bytes.AsSpan().IndexOf(sevens);
        Assert.True(at > 0, "the storage of 7·ones(4) was not found in the file");
        bytes[at + 5] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        using var file = TorchSaveFile.Open(path);
        var root = (ArrayList)file.Root!;
        Assert.Equal([0, 1, 2, 3, 4, 5], ((PickledTensor)root[0]!).ToDoubles());
        var e = Assert.Throws<InvalidDataException>(() => ((PickledTensor)root[1]!).Data);
        Assert.StartsWith(path, e.Message);
        Assert.Contains("fails its CRC-32 check", e.Message);
    }
}
