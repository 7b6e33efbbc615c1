using DDist.Artifacts;
using DDist.Torch;

namespace DDist.Tests.Artifacts;

/// <summary>A set's digest names what an evaluation trains on: the same set gives the same digest (also read back from
/// disk), and any pixel, label, distilled flag, learned lr or soft label changes it; provenance does not.</summary>
public sealed class SmallSetDigestTests
{
    private static SmallSet Set(float pixel = 2, long label = 1, bool distilled = true, double? lr = null, float soft = 0.7f, string method = "mtt") => new()
    {
        Images = Tensors.FromArray(new float[] { 0, 1, 0, 1, pixel, 2, 2, 2 }, 2, 1, 2, 2),
        Labels = Tensors.FromArray(new long[] { 0, label }),
        IsDistilled = [false, distilled],
        SourceIndex = [5, -1],
        LearnedLr = lr,
        SoftLabels = new SoftLabels(Tensors.FromArray(new float[] { 1, 0, 1 - soft, soft }, 2, 2), SoftLabelKind.Targets, "test"),
        Info = new SmallSetInfo { Dataset = "toy", Normalization = "test", Method = method, Ipc = 1, NumClasses = 2 },
    };

    [Fact]
    public void TheDigestChangesWithWhatTrainsAndOnlyWithThat()
    {
        using var set = Set();
        var digest = set.Digest();
        Assert.Matches("^[0-9a-f]{64}$", digest);
        using (var same = Set(method: "another name")) Assert.Equal(digest, same.Digest());
        using (var dir = new Data.TempDir())
        {
            var path = dir.Combine("set.safetensors");
            set.Save(path);
            using var back = SmallSet.Load(path);
            Assert.Equal(digest, back.Digest());
        }
        foreach (var other in new[] { Set(pixel: 2.5f), Set(label: 0), Set(distilled: false), Set(lr: 0.01), Set(soft: 0.6f) })
            using (other) Assert.NotEqual(digest, other.Digest());
    }
}
