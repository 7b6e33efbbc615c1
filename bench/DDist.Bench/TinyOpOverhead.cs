using System.Diagnostics;
using DDist.Torch;

namespace DDist.Bench;

/// <summary>The fixed cost of one engine call: adding two 1-element tensors, where the arithmetic is nothing
/// and the binding (argument marshalling, the native call, the result's managed wrapper and its release) is all.</summary>
public sealed class TinyOpOverhead : IBenchCase
{
    public string Name => "tiny-op";

    public CaseResult Run(BenchSettings settings)
    {
        using var a = Tensors.Ones([1]);
        using var b = Tensors.Ones([1]);
        void Calls(int n)
        {
            for (int i = 0; i < n; i++)
            {
                using var r = a.Add(b);
            }
        }
        Calls(settings.TinyOpCalls / 10);
        long t0 = Stopwatch.GetTimestamp();
        Calls(settings.TinyOpCalls);
        double ns = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / settings.TinyOpCalls;
        return new CaseResult(
            [new Metric("ns/call", ns, HigherIsBetter: false)],
            new Dictionary<string, object> { ["calls"] = settings.TinyOpCalls, ["op"] = "a.Add(b), 1-element float32, result disposed" });
    }
}
