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
        var preset = new Option<string>("--preset") { Description = "sel (ConvNetBN, no aug, 100 epochs), mtt (ConvNet, DSA, 50 epochs) or datm (mtt's with 100 epochs and GSAM ρ 0.01, α 0.3)", DefaultValueFactory = _ => "mtt" };
        var model = CommonOptions.Model("the preset's");
        var num = new Option<int?>("--num") { Description = "Number of experts; default 100" };
        var epochs = CommonOptions.Epochs("the preset's");
        var lr = CommonOptions.Lr("0.01");
        var batch = CommonOptions.Batch("256");
        var aug = CommonOptions.Aug("none or dsa", "the preset's");
        var momentum = new Option<double?>("--momentum") { Description = "SGD momentum; default 0 (buffer.py's --mom)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "SGD weight decay; default 0 (buffer.py's --l2)" };
        var decay = new Option<bool>("--decay") { Description = "lr ×0.1 after epoch ⌊E/2⌋+1 (MTT's --decay)" };
        var gsamRho = new Option<double?>("--gsam-rho")
        {
            Description = "Train with GSAM over SGD (FTD's flat trajectories, DATM's buffer_FTD.py) at this radius ρ (0.01 in FTD's and DATM's commands); default: the preset's (datm: 0.01, others: plain SGD)",
        };
        var gsamAlpha = new Option<double?>("--gsam-alpha") { Description = "GSAM's α (surrogate-gap ascent); default 0.3, DATM's command" };
        var gsamPlain = new Option<bool>("--gsam-plain") { Description = "GSAM's plain perturbation ρ·g/‖g‖ instead of the adaptive (ASAM) one buffer_FTD.py uses" };
        var shard = new Option<string>("--shard") { Description = "Train experts k with k mod n = i, as i/n", DefaultValueFactory = _ => "0/1" };
        var noTest = new Option<bool>("--no-test") { Description = "Skip the per-epoch test accuracy" };
        var zca = new Option<bool>("--zca")
        {
            Description = "ZCA-whiten the images instead of normalising them (buffer.py's --zca): fitted once on the whole training set and " +
                          "kept as DIR/zca.safetensors, which every shard reads",
        };
        var cmd = new Command("experts", "Train expert trajectories into --out DIR (expert_NNNN.safetensors + .json)")
        {
            dataset, preset, model, num, epochs, lr, batch, aug, momentum, weightDecay, decay, gsamRho, gsamAlpha, gsamPlain, shard, noTest, zca,
        };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dir = ctx.RequireOut("experts", "DIR");
            if (File.Exists(dir)) throw new CliException($"--out {dir}: is a file; experts need a directory");
            ShardSpec shardSpec;
            try { shardSpec = ShardSpec.Parse(parse.GetValue(shard)!); }
            catch (FormatException e) { throw new CliException($"--shard: {e.Message}"); }
            var (c, k, h, w) = CliData.Shape(parse.GetValue(dataset)!);
            var p = ExpertOptions.Preset(parse.GetValue(preset)!, Math.Max(h, w));
            var augMode = parse.GetValue(aug) is { } a ? Augmentation.Parse(a) : p.Augmentation;
            var options = p with
            {
                Model = parse.GetValue(model) ?? p.Model,
                NumExperts = CommonOptions.Positive(parse.GetValue(num), p.NumExperts, "--num"),
                Epochs = CommonOptions.Positive(parse.GetValue(epochs), p.Epochs, "--epochs"),
                LearningRate = CommonOptions.PositiveReal(parse.GetValue(lr), p.LearningRate, "--lr"),
                BatchSize = CommonOptions.Positive(parse.GetValue(batch), p.BatchSize, "--batch"),
                Momentum = parse.GetValue(momentum) ?? p.Momentum,
                WeightDecay = parse.GetValue(weightDecay) ?? p.WeightDecay,
                Decay = parse.GetValue(decay),
                Augmentation = augMode,
                Seed = ctx.Seed,
                Sharpness = Gsam(parse.GetValue(gsamRho), parse.GetValue(gsamAlpha), parse.GetValue(gsamPlain), p.Sharpness),
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
                     $"lr {options.LearningRate:G4}{GsamText(options.Sharpness)}, batch {options.BatchSize}, aug {Augmentation.Name(options.Augmentation)}, shard {shardSpec} → {dir}");
            var summary = ProgressView.Run(ctx, pr => trainer.Train(dir, data.Train, parse.GetValue(noTest) ? null : data.Test, shardSpec, pr, ctx.Cancel));
            ctx.WriteResult(new { directory = dir, dataset = name, zca = data.Zca is not null, model = options.Model, shard = shardSpec.ToString(), trained = summary.Trained, skipped = summary.Skipped },
                o => o.WriteLine($"{dir}: trained {summary.Trained.Count} expert(s), {summary.Skipped.Count} already finished"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The preset's GSAM with what the options change; any GSAM option without a radius from either is refused.</summary>
    private static SharpnessAware? Gsam(double? rho, double? alpha, bool plain, SharpnessAware? preset)
    {
        if (rho is null && preset is null)
        {
            if (alpha is not null || plain) throw new CliException("--gsam-alpha and --gsam-plain need --gsam-rho (or --preset datm): without a radius the experts train with plain SGD");
            return null;
        }
        var g = new SharpnessAware
        {
            Rho = rho ?? preset!.Rho, Alpha = alpha ?? preset?.Alpha ?? 0.3, Adaptive = !plain && (preset?.Adaptive ?? true),
        };
        if (g.Invalid() is var (setting, rule)) throw new CliException($"--gsam-{setting}: {rule}");
        return g;
    }

    private static string GsamText(SharpnessAware? g) => g is null ? "" : ", " + g.Describe();
}
