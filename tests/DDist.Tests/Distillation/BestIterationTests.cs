using DDist.Distillation;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>The evaluations a checkpoint keeps: each with the networks that scored it; a checkpoint written before that
/// count was kept reads as not knowing it, and a count that does not match the evaluations is named.</summary>
public class BestIterationTests
{
    [Fact]
    public void TheEvaluationsOfACheckpointKeepTheirNetworkCountAndOlderOnesReadWithoutIt()
    {
        SelectionPoint[] points = [new(0, 0.5, 0.1, Networks: 2), new(10, 0.6, 0.2, Diverged: 1, Networks: 2)];
        var tensors = new List<KeyValuePair<string, Tensor>>();
        BestIteration.AddEvaluations(tensors, points);
        var byName = tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        try
        {
            Assert.Equal(points, BestIteration.LoadEvaluations("ck.safetensors", byName));
            Assert.Equal(" (1 of 2 diverged) (kept)", points[1].Notes(10));

            var older = byName.Where(kv => kv.Key != "eval_networks").ToDictionary();
            var read = BestIteration.LoadEvaluations("old.safetensors", older);
            Assert.Equal([0, 0], read.Select(p => p.Networks));
            Assert.Equal(" (1 diverged)", read[1].Notes(0));

            using var wrong = Tensors.FromArray(new long[] { 2 });
            var bad = new Dictionary<string, Tensor>(byName) { ["eval_networks"] = wrong };
            var e = Assert.Throws<InvalidDataException>(() => BestIteration.LoadEvaluations("bad.safetensors", bad));
            Assert.Contains("bad.safetensors: tensor 'eval_networks' holds 1 values beside 2 evaluations", e.Message);
        }
        finally { foreach (var t in byName.Values) t.Dispose(); }
    }
}
