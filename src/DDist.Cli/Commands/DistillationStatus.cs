using System.Globalization;
using DDist.Evaluation;
using DDist.Recipes;
using DDist.Torch.IO;
using DDist.Training.Experts;

namespace DDist.Cli.Commands;

/// <summary>`ddist status` of a folder that holds one distillation rather than a run of stages — DD / SLD (OUT:
/// checkpoint.safetensors, eval/{step0,learned}/net-K.json, distill.json) or DATM / TESLA labels (OUT/experts, OUT/METHOD: checkpoint.safetensors,
/// eval/net-K.json, result.json) — read from its files alone: the recipe the command copied there, finished experts,
/// the iteration of the last checkpoint, finished evaluation networks.</summary>
internal static class DistillationStatus
{
    /// <summary>One line of progress: <paramref name="Done"/> of <paramref name="Total"/> (null: not known yet) <paramref name="Unit"/>.</summary>
    public sealed record Part(string Name, long Done, long? Total, string Unit);

    public sealed record Progress(IReadOnlyList<Part> Parts, bool Complete, string Result);

    public static Progress Read(string dir, string recipePath, RecipeKind kind)
    {
        if (kind == RecipeKind.Unrolled)
        {
            var unrolled = UnrolledRecipe.Load(recipePath);   // a folder whose recipe no longer reads is an error naming it
            var result = Path.Combine(dir, "distill.json");
            int tested = Enumerable.Range(0, unrolled.Unrolled.TestNets).Count(k => File.Exists(NetworkResults.FileIn(Path.Combine(dir, "eval", "learned"), k)));
            return new Progress([Iterations(Path.Combine(dir, "checkpoint.safetensors"), "iteration", null),
                                 new Part("evaluation", tested, unrolled.Unrolled.TestNets, "networks")], File.Exists(result), result);
        }
        var r = SoftLabelRecipe.Load(recipePath);
        var methodDir = Path.Combine(dir, r.Method);
        var experts = Path.Combine(dir, "experts");
        int finished = Enumerable.Range(0, r.Experts.Count).Count(k => File.Exists(Path.Combine(experts, ExpertTrainer.ExpertFileName(k))));
        int nets = Enumerable.Range(0, r.Evaluation.Nets).Count(k => File.Exists(NetworkResults.FileIn(Path.Combine(methodDir, "eval"), k)));
        var done = Path.Combine(methodDir, "result.json");
        return new Progress(
        [
            new Part("experts", finished, r.Experts.Count, "experts"),
            Iterations(Path.Combine(methodDir, "checkpoint.safetensors"), "next", r.Matching.Iterations),
            new Part("evaluation", nets, r.Evaluation.Nets, "networks"),
        ], File.Exists(done), done);
    }

    /// <summary>The iterations a distillation's checkpoint records as done (field <paramref name="doneField"/>) and in all
    /// (its field 'iterations', written since DDist kept it; else <paramref name="total"/>).</summary>
    private static Part Iterations(string checkpoint, string doneField, long? total)
    {
        if (!File.Exists(checkpoint)) return new Part("distillation", 0, total, "iterations");
        using var file = SafeTensorsFile.Open(checkpoint);
        long done = (long)(file.MetadataNumber(doneField) ?? throw new InvalidDataException($"{checkpoint}: metadata field '{doneField}' missing"));
        return new Part("distillation", done, (long?)file.MetadataNumber("iterations") ?? total, "iterations");
    }

    public static string Describe(Part p) =>
        string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{(p.Total is long t ? t.ToString(CultureInfo.InvariantCulture) : "?")} {p.Unit}");
}
