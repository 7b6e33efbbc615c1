using System.Text.Json;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Pipeline;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Tests.Reporting;

/// <summary>Writes the files a finished `ddist run` leaves in its folder, small and by hand, for a recipe whose
/// dataset does not exist: whatever reads them cannot have loaded the dataset or re-run a stage.</summary>
internal static class SavedRunFolder
{
    public const double UsedBeta = 0.25;

    public static void Write(string dir, bool header = true)
    {
        Directory.CreateDirectory(Path.Combine(dir, "window"));
        Directory.CreateDirectory(Path.Combine(dir, "selmatch"));
        File.WriteAllText(Path.Combine(dir, "recipe.json"), """{ "Name": "saved", "Dataset": "no-such-dataset" }""");
        var state = new PipelineState
        {
            Recipe = new System.Text.Json.Nodes.JsonObject(),
            Stages = [new("experts", 125), new("scores", 3), new("window search", 40), new("distill selmatch", 300), new("evaluate SelMatch", 20)],
            ChosenBeta = UsedBeta,
            Rows =
            {
                ["random"] = new PipelineState.EvaluatedRow("Random", 0.61, 0.02, [0.59, 0.63], 0, ""),
                ["selmatch"] = new PipelineState.EvaluatedRow("SelMatch", 0.83, 0.01, [0.82, 0.84], 300, "α 0.5, β 0.25"),
            },
        };
        state.Save(dir);
        if (header)
            File.WriteAllText(Path.Combine(dir, RunReport.HeaderFile),
                JsonSerializer.Serialize(new ReportHeader("saved run", ["dataset toy, IPC 4"], "test set, 100 images")));
        var points = new[] { 0.0, 0.25, 0.5 }.Select((b, i) => new WindowPoint(b, 0.6 + 0.1 * (i % 2), 0.02, [0.58, 0.62], [0, 0], 1, "f")).ToList();
        File.WriteAllText(WindowSearch.SummaryFile(Path.Combine(dir, "window")),
            JsonSerializer.Serialize(new WindowSearchResult(points, 0.25, true, 1000, "test")));
        LossCurve.Save(Enumerable.Range(0, 30).Select(i => new LossPoint(i, 1 - 0.02 * i, 0.01 + 0.0001 * i)).ToList(),
                       Path.Combine(dir, "selmatch", "loss.json"), Path.Combine(dir, "selmatch", "loss.csv"));
        using (var window = Set([false, false, false, false, false, false, false, false])) window.Save(Path.Combine(dir, "window.safetensors"));
        using (var syn = Set([true, true, false, false, true, true, false, false])) syn.Save(Path.Combine(dir, "selmatch", "synthetic.safetensors"));
    }

    /// <summary>Two classes of four 3-channel 8×8 images with a diagonal gradient (so grids have visible content).</summary>
    private static SmallSet Set(bool[] distilled)
    {
        int n = distilled.Length;
        var pixels = new float[n * 3 * 8 * 8];
        for (int i = 0; i < pixels.Length; i++)
        {
            int x = i % 8, y = i / 8 % 8, c = i / 64 % 3, k = i / 192;
            pixels[i] = (x + y) / 14f * (c == k % 3 ? 1f : 0.3f);
        }
        return new SmallSet
        {
            Images = Tensors.FromArray(pixels, n, 3, 8, 8).DetachFromScope(),
            Labels = Tensors.FromArray(Enumerable.Range(0, n).Select(i => (long)(i / 4)).ToArray()).DetachFromScope(),
            IsDistilled = distilled,
            SourceIndex = Enumerable.Range(0, n).Select(i => distilled[i] ? -1L : i).ToArray(),
            Info = new SmallSetInfo { Dataset = "no-such-dataset", Normalization = "none", Method = "selmatch", Ipc = 4, NumClasses = 2 },
        };
    }
}
