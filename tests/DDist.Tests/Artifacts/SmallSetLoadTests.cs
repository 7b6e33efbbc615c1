using DDist.Artifacts;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Artifacts;

/// <summary>A small-set file that is not what a small set holds is refused when read, as bad data naming the file and
/// the field, before anything trains on it or draws it.</summary>
public sealed class SmallSetLoadTests
{
    private static SmallSet Set() => new()
    {
        Images = Tensors.FromArray(new float[] { 0, 1, 0, 1, 2, 2, 2, 2 }, 2, 1, 2, 2),
        Labels = Tensors.FromArray(new long[] { 0, 1 }),
        IsDistilled = [false, true],
        SourceIndex = [5, -1],
        LearnedLr = 0.01,
        Info = new SmallSetInfo { Dataset = "toy", Normalization = "test", Method = "mtt", Ipc = 1, NumClasses = 2 },
    };

    /// <summary>A valid set written, read back raw, edited and written again under another name.</summary>
    private static string Edited(Data.TempDir dir, string name, Action<Dictionary<string, Tensor>, Dictionary<string, string>> edit)
    {
        var good = dir.Combine("good.safetensors");
        if (!File.Exists(good)) using (var set = Set()) set.Save(good);
        var (tensors, meta) = SafeTensors.Load(good);
        edit(tensors, meta);
        var path = dir.Combine(name + ".safetensors");
        SafeTensors.Save(path, tensors, meta);
        return path;
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "nan-pixel", "'images' holds NaN or infinite pixels (image 1)" },
        { "labels-2d", "tensor 'labels' is Int64 [2,1], expected a vector (N)" },
        { "labels-out-of-range", "'labels' range over [0, 7], expected classes in [0, 2)" },
        { "distilled-float", "tensor 'distilled' is Float32 [2], expected a vector (N) of UInt8 or Bool" },
        { "lr-negative", "tensor 'learned_lr' is -0.5, expected a positive finite step size" },
        { "lr-empty", "tensor 'learned_lr' is Float64 [0], expected one Float64" },
        { "info-not-json", "metadata field 'ddist' is not a small set's description" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ABrokenFileIsRefusedByFileAndField(string broken, string expected)
    {
        using var dir = new Data.TempDir();
        var path = Edited(dir, broken, (t, meta) =>
        {
            switch (broken)
            {
                case "nan-pixel": t["images"] = Tensors.FromArray(new float[] { 0, 1, 0, 1, 2, float.NaN, 2, 2 }, 2, 1, 2, 2); break;
                case "labels-2d": t["labels"] = Tensors.FromArray(new long[] { 0, 1 }, 2, 1); break;
                case "labels-out-of-range": t["labels"] = Tensors.FromArray(new long[] { 0, 7 }); break;
                case "distilled-float": t["distilled"] = Tensors.FromArray(new float[] { 0, 1 }); break;
                case "lr-negative": t["learned_lr"] = Tensors.FromArray(new[] { -0.5 }); break;
                case "lr-empty": t["learned_lr"] = Tensors.FromArray(Array.Empty<double>()); break;
                case "info-not-json": meta["ddist"] = "{not json"; break;
            }
        });
        var e = Assert.Throws<InvalidDataException>(() => SmallSet.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheGoodFileAndItsWiderTypesRead()
    {
        using var dir = new Data.TempDir();
        var path = Edited(dir, "wider", (t, _) =>
        {
            t["images"] = t["images"].To(DType.Float64);
            t["labels"] = t["labels"].To(DType.Int32);
            t["learned_lr"] = t["learned_lr"].To(DType.Float32);
        });
        using var set = SmallSet.Load(path);
        Assert.Equal(DType.Float32, set.Images.DType);
        Assert.Equal(new long[] { 0, 1 }, set.Labels.ToArray<long>());
        Assert.Equal(0.01, set.LearnedLr!.Value, 6);
    }

    [Fact]
    public void AHeaderThatIsNotUtf8IsBadData()
    {
        using var dir = new Data.TempDir();
        var path = dir.Combine("bad-utf8.safetensors");
        byte[] header = [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header]);
        var e = Assert.Throws<InvalidDataException>(() => SmallSet.Load(path));
        Assert.Contains("not valid UTF-8", e.Message);
    }
}
