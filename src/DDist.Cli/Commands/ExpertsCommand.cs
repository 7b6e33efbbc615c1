using System.CommandLine;
using DDist.Augment;
using DDist.Models;
using DDist.Pipeline.Stages;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Cli.Commands;

/// <summary>`ddist experts --dataset NAME --preset sel|mtt --out DIR [--shard i/n] ...`: trains expert
/// trajectories for trajectory matching. Interrupted runs resume from per-epoch checkpoints; finished experts are skipped.</summary>
public static class ExpertsCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var dataset = CommonOptions.Dataset();
        var settings = new ExpertSettingsOptions();
        var num = new Option<int?>("--num") { Description = "Number of experts; default 100" };
        var epochs = CommonOptions.Epochs("the preset's");
        var shard = new Option<string>("--shard") { Description = "Train experts k with k mod n = i, as i/n", DefaultValueFactory = _ => "0/1" };
        var noTest = new Option<bool>("--no-test") { Description = "Skip the per-epoch test accuracy" };
        var zca = new Option<bool>("--zca")
        {
            Description = "ZCA-whiten the images instead of normalising them (buffer.py's --zca): fitted once on the whole training set and " +
                          "kept as DIR/zca.safetensors, which every shard reads",
        };
        var cmd = new Command("experts", "Train expert trajectories into --out DIR (expert_NNNN.safetensors + .json)") { dataset };
        settings.AddTo(cmd);
        foreach (var option in new Option[] { num, epochs, shard, noTest, zca }) cmd.Options.Add(option);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dir = ctx.RequireOut("experts", "DIR");
            if (File.Exists(dir)) throw new CliException($"--out {dir}: is a file; experts need a directory");
            ShardSpec shardSpec;
            try { shardSpec = ShardSpec.Parse(parse.GetValue(shard)!); }
            catch (FormatException e) { throw new CliException($"--shard: {e.Message}"); }
            var (c, k, h, w) = CliData.Shape(parse.GetValue(dataset)!);
            var p = settings.Resolve(parse, Math.Max(h, w), ctx.Seed);
            var options = p with
            {
                NumExperts = CommonOptions.Positive(parse.GetValue(num), p.NumExperts, "--num"),
                Epochs = CommonOptions.Positive(parse.GetValue(epochs), p.Epochs, "--epochs"),
            };
            var network = ModelZoo.Create(options.Model, c, k, h, w);
            if (shardSpec.Index >= options.NumExperts) ctx.Note($"shard {shardSpec} has no experts among {options.NumExperts}");

            // The same data as a recipe run's experts stage: normalised, or whitened with the transform DIR keeps.
            using var data = RunData.Load(parse.GetValue(dataset)!, parse.GetValue(zca), Path.Combine(dir, RunData.ZcaFile), ctx.Device, ctx.Note);
            var name = data.Raw.Name;
            options = options with { DsaStrategy = DsaStrategies.ForDataset(name) };
            var info = new ExpertDataInfo(name, data.Space, data.Zca is not null, data.Train.Count, c, h, w, k);
            var trainer = new ExpertTrainer(network, options, info);
            ctx.Note($"experts {name}{(data.Zca is null ? "" : " (ZCA-whitened)")}: {options.Model} ({network.ParameterCount:N0} parameters), {options.NumExperts} experts × {options.Epochs} epochs, " +
                     $"lr {options.LearningRate:G4}{ExpertSettingsOptions.GsamText(options.Sharpness)}, batch {options.BatchSize}, aug {Augmentation.Name(options.Augmentation)}, shard {shardSpec} → {dir}");
            var summary = ProgressView.Run(ctx, pr => trainer.Train(dir, data.Train, parse.GetValue(noTest) ? null : data.Test, shardSpec, pr, ctx.Cancel));
            ctx.WriteResult(new { directory = dir, dataset = name, zca = data.Zca is not null, model = options.Model, shard = shardSpec.ToString(), trained = summary.Trained, skipped = summary.Skipped },
                o => o.WriteLine($"{dir}: trained {summary.Trained.Count} expert(s), {summary.Skipped.Count} already finished"));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
