using System.Text.Json;

namespace DDist.Torch.Tests;

[Collection(SerialCollection.Name)]
public class OpProfilerTests
{
    [Fact]
    public void TraceNamesTheOpsThatRan()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ddist-trace-{Guid.NewGuid():N}.json");
        try
        {
            using (var scope = new TensorScope())
            using (OpProfiler.Start(path))
            {
                var x = Tensors.Ones([4, 4]);
                _ = Functional.AvgPool2d(x.Reshape(1, 1, 4, 4), 2).Sum().Item();
                Assert.Throws<TorchException>(() => OpProfiler.Start(path + ".second"));  // one at a time
            }
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("traceEvents");
            var names = root.EnumerateArray().Where(e => e.TryGetProperty("name", out _)).Select(e => e.GetProperty("name").GetString()).ToHashSet();
            Assert.Contains("aten::sum", names);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
