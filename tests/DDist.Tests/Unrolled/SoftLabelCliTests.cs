using DDist.Artifacts;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;
using DDist.Torch;

namespace DDist.Tests.Unrolled;

/// <summary>`ddist show` prints each image's top labels; `ddist distill` refuses bad DD/DATM input before any work.</summary>
public class SoftLabelCliTests
{
    [Fact]
    public void Show_PrintsTheTopLabelsOfEveryImage()
    {
        using var dir = new TempDir();
        using (var scope = new TensorScope())
        {
            using var set = new SmallSet
            {
                Images = Tensors.Zeros([2, 1, 28, 28]).DetachFromScope(), Labels = Tensors.FromArray(new long[] { 0, 1 }).DetachFromScope(),
                IsDistilled = [true, true], SourceIndex = [-1, -1],
                SoftLabels = new SoftLabels(Tensors.FromArray(new float[] { 0.7f, 0.2f, 0.1f, -0.3f, 1.2f, 0.4f }, 2, 3).DetachFromScope(), SoftLabelKind.Targets, "sld"),
                Info = new SmallSetInfo { Dataset = "mnist", Normalization = "mnist-dc", Method = "sld", Ipc = 1, NumClasses = 3 },
            };
            set.Save(dir.Combine("s.safetensors"));
        }
        var r = Run("show", dir.Combine("s.safetensors"), "--out", dir.Combine("g.png"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("raw learned targets", r.Out);
        Assert.Contains("image    0 (class 0): 0 0.700, 1 0.200, 2 0.100", r.Out);
        Assert.Contains("image    1 (class 1): 1 1.200, 2 0.400, 0 -0.300", r.Out);
    }

    [Fact]
    public void Distill_WithAMethodItsRecipeIsNotFor_FailsNamingTheField()
    {
        var root = DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!;
        var r = Run("distill", Path.Combine(root, "recipes", "fashion-mnist-ipc10-datm-cpu.json"), "--method", "tesla");
        Assert.NotEqual(0, r.Code);
        Assert.Contains("'method'", r.Err);
        var bad = Run("distill", Path.Combine(root, "recipes", "fashion-mnist-ipc10-datm-cpu.json"), "--method", "dd");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("unrolled", bad.Err);
    }
}
