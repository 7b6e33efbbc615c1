using System.CommandLine;
using DDist.Artifacts;
using DDist.Data;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist coverage SET...`: SelMatch's coverage metric (r-coverage of the test set, Zheng et al. 2023) for
/// any small sets of one dataset, in the features of a network trained on the training set.</summary>
public static class CoverageCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var sets = new Argument<string[]>("SET") { Description = "Small sets (.safetensors) of one dataset", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--embed-model") { Description = "Network trained for the features", DefaultValueFactory = _ => "ConvNet" };
        var epochs = new Option<int>("--embed-epochs") { Description = "Its training epochs", DefaultValueFactory = _ => 5 };
        var reference = new Option<int>("--reference-per-class") { Description = "Training images per class whose mean nearest-neighbour distance is the radius r", DefaultValueFactory = _ => 500 };
        var cmd = new Command("coverage", "Coverage of the test set by small sets (fraction of test images within r of the set in feature space)") { sets, model, epochs, reference };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var paths = parse.GetValue(sets)!;
            foreach (var p in paths) InputFile.Require(p, "small-set file");
            var loaded = paths.Select(SmallSet.Load).ToList();
            try
            {
                var dataset = loaded[0].Info.Dataset;
                if (loaded.FindIndex(s => s.Info.Dataset != dataset) is var odd && odd >= 0)   // the files disagree: a data error, 65
                    throw new InvalidDataException($"{paths[odd]}: field 'dataset' is '{loaded[odd].Info.Dataset}', but {paths[0]} is of '{dataset}'; " +
                                                   "coverage compares sets of one dataset");
                int perClass = parse.GetValue(reference);
                if (perClass < 2) throw new CliException($"--reference-per-class {perClass}: must be at least 2");
                var options = new EmbeddingOptions { Model = parse.GetValue(model)!, Epochs = CommonOptions.Positive(parse.GetValue(epochs), 0, "--embed-epochs"), Seed = (int)ctx.Seed };
                using var data = CliData.Load(dataset, ctx.Device);
                foreach (var (s, path) in loaded.Zip(paths))
                {
                    if (s.Info.Normalization != data.Normalization.Name)
                        throw new InvalidDataException($"{path}: images are in normalisation '{s.Info.Normalization}', but {data.Name} loads as '{data.Normalization.Name}'");
                    s.CheckFits(path, data.Test);
                }
                ctx.Note($"training the embedding network: {options}");
                using var net = ProgressView.Run(ctx, p => EmbeddingNetwork.Train(data.Train, options, p, ctx.Cancel));
                using var labels = data.Train.Labels.To(DType.Int64, Device.Cpu);
                var rows = SubsetSampler.ClassBalanced(labels.ToArray<long>().Select(v => (int)v).ToArray(), data.Train.NumClasses,
                                                       Math.Min(perClass, data.Train.IndicesByClass().Min(c => c.Length)), (int)ctx.Seed);
                using var refData = data.Train.Subset(rows);
                using var refFeatures = net.Embed(refData.Images);
                double radius = Coverage.Radius(refFeatures);
                using var test = net.Embed(data.Test.Images);
                var results = new List<(string Path, string Method, double Coverage)>();
                for (int i = 0; i < loaded.Count; i++)
                {
                    using var f = net.Embed(loaded[i].Images.To(data.Train.Images.Device));
                    results.Add((paths[i], loaded[i].Info.Method, Coverage.Of(f, test, radius)));
                }
                ctx.WriteResult(new { dataset, radius, embedding = options.ToString(), sets = results.Select(r => new { path = r.Path, method = r.Method, coverage = r.Coverage }) },
                    w =>
                    {
                        w.WriteLine($"{dataset}: r = {radius:G4} ({options})");
                        foreach (var r in results) w.WriteLine($"  {r.Path} ({r.Method}): coverage {r.Coverage:P2}");
                    });
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var s in loaded) s.Dispose();
            }
        });
        return cmd;
    }
}
