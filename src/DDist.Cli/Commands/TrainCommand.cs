using System.CommandLine;
using DDist.Augment;
using DDist.Evaluation;

namespace DDist.Cli.Commands;

/// <summary>`ddist train --dataset NAME ...`: the "whole dataset" row — networks trained on the full training
/// set (or a seeded random subset with --subset N) and tested on the test set.</summary>
public static class TrainCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var dataset = CommonOptions.Dataset();
        var subset = new Option<int?>("--subset") { Description = "Train on N random training images (seeded) instead of all" };
        var eval = new EvalOptions();
        var cmd = new Command("train", "Train on the whole training set and report test accuracy (default ConvNet, 30 epochs, lr 0.01 step, batch 256, no aug)")
        {
            dataset, subset,
        };
        eval.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            ctx.OutFile();   // a --out that cannot be written fails now, not after the training
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            var protocol = eval.Apply(parse, EvalProtocol.WholeData() with { AugmentOptions = AugmentOptions.ForDataset(data.Name) });
            var train = data.Train;
            Data.ImageDataset? part = null;
            if (parse.GetValue(subset) is int n)
            {
                if (n < 1 || n > train.Count) throw new CliException($"--subset {n}: must be between 1 and {train.Count}");
                var rng = new Random(unchecked((int)(ctx.Seed ^ (ctx.Seed >> 32))));
                part = train.Subset(Enumerable.Range(0, train.Count).OrderBy(_ => rng.Next()).Take(n).Select(i => (long)i).ToArray());
                train = part;
            }
            using (part)
            {
                ctx.Note($"train {data.Name}: {train.Count} images; {EvalOptions.Summary(protocol)}");
                var result = ProgressView.Run(ctx, p => WholeDataTrainer.Train(train, data.Test, protocol, ctx.Seed, p, ctx.Cancel));
                var json = new
                {
                    dataset = data.Name, normalization = data.Normalization.Name, trainImages = train.Count, seed = ctx.Seed,
                    protocol = EvalOptions.Describe(protocol), mean = result.Mean, std = result.Std, accuracies = result.Accuracies,
                    seconds = result.Elapsed.TotalSeconds,
                };
                if (ctx.Out is { } path) ctx.SaveJson(path, json);
                ctx.WriteResult(json, w => w.WriteLine($"{data.Name} whole data ({train.Count} images), {protocol.Model}: test accuracy {result.Mean:P2} ± {result.Std:P2} " +
                                                       $"over {result.Accuracies.Length} network(s) in {result.Elapsed:hh\\:mm\\:ss}"));
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
