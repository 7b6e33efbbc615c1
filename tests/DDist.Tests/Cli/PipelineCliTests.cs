using System.Text.Json.Nodes;

namespace DDist.Tests.Cli;

/// <summary>The recipe-driven commands (run, window, distill, report, show) reject bad input before any work.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class PipelineCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ddist-pipe-" + Guid.NewGuid().ToString("N"));

    public PipelineCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = DDist.Cli.Program.Run([.. args, "--threads", "2"], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string DemoRecipe()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DDist.slnx"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new InvalidOperationException("repo root not found"), "recipes", "fashion-mnist-ipc300-demo.json");
    }

    private string RecipeWith(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(DemoRecipe()))!.AsObject();
        edit(json);
        var path = Path.Combine(_dir, "recipe.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("experts.model", "NoSuchNet")]
    [InlineData("distill.alpha", "1.5")]
    [InlineData("ipc", "7000")]
    [InlineData("distill.unroll", "tesly")]
    public void BadRecipeFieldFailsBeforeAnyWorkNamingTheField(string field, string value)
    {
        var recipe = RecipeWith(j =>
        {
            var parts = field.Split('.');
            var node = parts.Length == 1 ? j : j[parts[0]]!.AsObject();
            node[parts[^1]] = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(value);
        });
        var outDir = Path.Combine(_dir, "run");
        var r = Run("run", recipe, "--out", outDir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(field, r.Err);
        Assert.False(Directory.Exists(Path.Combine(outDir, "experts")), "no stage may start on a bad recipe");
    }

    [Fact]
    public void MissingRecipeAndBadShardAreNamed()
    {
        var missing = Run("run", Path.Combine(_dir, "nope.json"));
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("nope.json", missing.Err);
        var shard = Run("window", DemoRecipe(), "--shard", "2/2", "--out", Path.Combine(_dir, "w"));
        Assert.NotEqual(0, shard.Code);
        Assert.Contains("2/2", shard.Err);
        var method = Run("distill", DemoRecipe(), "--method", "dd", "--out", Path.Combine(_dir, "d"));
        Assert.NotEqual(0, method.Code);
        Assert.Contains("dd", method.Err);
        foreach (var command in new[] { "distill", "run" })
        {
            var unroll = Run(command, DemoRecipe(), "--unroll", "tesly", "--out", Path.Combine(_dir, "u"));
            Assert.NotEqual(0, unroll.Code);
            Assert.Contains("--unroll 'tesly'", unroll.Err);
            Assert.False(Directory.Exists(Path.Combine(_dir, "u", "experts")), "no stage may start on a bad flag");
        }
    }

    [Fact]
    public void ReportOnAFolderThatIsNoRunIsAnError()
    {
        var r = Run("report", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("pipeline.json", r.Err);
    }

    [Fact]
    public void ShowDrawsASmallSetAsPng()
    {
        var set = Path.Combine(_dir, "s.safetensors");
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "3", "--out", set).Code);
        var png = Path.Combine(_dir, "grid.png");
        var r = Run("show", set, "--out", png);
        Assert.Equal(0, r.Code);
        var (pixels, h, w) = DDist.Torch.ImageCodec.Decode(File.ReadAllBytes(png), 3);
        Assert.True(h > 10 * 28 && w > 3 * 28, $"grid {w}×{h} too small for 10 rows of 3 images");
        Assert.Contains(pixels, p => p < 128);   // not blank
    }
}
