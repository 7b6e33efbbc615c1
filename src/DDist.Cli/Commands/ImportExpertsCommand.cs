using System.CommandLine;
using System.Globalization;
using DDist.Augment;
using DDist.Data;
using DDist.Models;
using DDist.Pipeline.Stages;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Cli.Commands;

/// <summary>`ddist import-experts replay_buffer_0.pt … --dataset NAME --out DIR`: expert trajectories trained by MTT's
/// `buffer.py` (or FTD's/DATM's `buffer_FTD.py`) become a DDist expert folder, which `ddist distill`, a recipe run
/// (import into RUN/experts first) and `ddist rank --teacher` then use like experts DDist trained.</summary>
public static class ImportExpertsCommand
{
    private const int ScoredPerClass = 100;

    public static Command Create(GlobalOptions globals)
    {
        var buffers = new Argument<string[]>("BUFFER")
        {
            Description = "replay_buffer_N.pt files (torch.save of a list of experts, each the list of its snapshots' parameters(), as buffer.py writes), in order",
            Arity = ArgumentArity.OneOrMore,
        };
        var dataset = CommonOptions.Dataset();
        var settings = new ExpertSettingsOptions();
        var zca = new Option<bool>("--zca")
        {
            Description = "The buffers trained on ZCA-whitened images (buffer.py's --zca): the same transform is fitted on the whole training set and kept as DIR/zca.safetensors",
        };
        var noTest = new Option<bool>("--no-test") { Description = "Skip scoring each expert's last snapshot on the test set" };
        var cmd = new Command("import-experts", "Import expert trajectories trained by PyTorch code (MTT's replay buffers) as a DDist expert folder (--out DIR)") { buffers, dataset };
        settings.AddTo(cmd);
        cmd.Options.Add(zca);
        cmd.Options.Add(noTest);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dir = ctx.RequireOut("import-experts", "DIR");
            if (File.Exists(dir)) throw new CliException($"--out {dir}: is a file; experts need a directory");
            var files = parse.GetValue(buffers)!;
            var (c, k, h, w) = CliData.Shape(parse.GetValue(dataset)!);
            var options = settings.Resolve(parse, Math.Max(h, w), ctx.Seed);
            var network = ModelZoo.Create(options.Model, c, k, h, w);

            using var data = RunData.Load(parse.GetValue(dataset)!, parse.GetValue(zca), Path.Combine(dir, RunData.ZcaFile), ctx.Device, ctx.Note);
            var name = data.Raw.Name;
            var request = new ExpertImportRequest
            {
                Buffers = files, Options = options with { DsaStrategy = DsaStrategies.ForDataset(name), NumExperts = 1 },
                Data = new ExpertDataInfo(name, data.Space, data.Zca is not null, data.Train.Count, c, h, w, k),
            };
            ctx.Note($"import {files.Length} buffer(s) as {options.Model} experts of {name}{(data.Zca is null ? "" : " (ZCA-whitened)")} → {dir}; recorded as trained with lr " +
                     $"{options.LearningRate:G4}{ExpertSettingsOptions.GsamText(options.Sharpness)}, batch {options.BatchSize}, aug {Augmentation.Name(options.Augmentation)} (a buffer holds no settings)");
            // A check of the import, not a result: 100 test images per class tell a right mapping from a wrong one.
            var testLabels = data.Test.Labels.ToArray<long>().Select(l => (int)l).ToArray();
            int perClass = Math.Min(ScoredPerClass, Enumerable.Range(0, k).Min(c => testLabels.Count(l => l == c)));
            using var scoredOn = parse.GetValue(noTest) || network.HasBatchNorm || perClass == 0 ? null
                : data.Test.Subset(SubsetSampler.FirstPerClass(testLabels, k, perClass));
            if (!parse.GetValue(noTest) && network.HasBatchNorm)
                ctx.Note($"{options.Model} has batch norm, whose running statistics a buffer does not keep: the experts are not scored on the test set");
            var imported = ExpertBufferImport.Import(request, network, dir, scoredOn, ctx.Note, ctx.Cancel);
            // Only what this run scored on (an earlier import's scores stay in each expert's metadata).
            var scores = scoredOn is null ? [] : imported.Where(e => e.FinalTestAccuracy is not null).Select(e => e.FinalTestAccuracy!.Value).ToArray();
            ctx.WriteResult(new
            {
                directory = dir, dataset = name, zca = data.Zca is not null, model = options.Model, experts = imported.Count, epochs = imported[0].Epochs,
                finalTestAccuracy = scores.Length == 0 ? null : new { images = scoredOn!.Count, mean = scores.Average(), min = scores.Min(), max = scores.Max() },
                imported = imported.Select(e => new { index = e.Index, buffer = e.Buffer, position = e.Position, finalTestAccuracy = e.FinalTestAccuracy }),
            }, o => o.WriteLine($"{dir}: {imported.Count} expert(s) × {imported[0].Epochs} epochs imported" +
                                (scores.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
                                    $"; last snapshots {100 * scores.Average():F2} % on {scoredOn!.Count} test images (min {100 * scores.Min():F2}, max {100 * scores.Max():F2})"))));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
