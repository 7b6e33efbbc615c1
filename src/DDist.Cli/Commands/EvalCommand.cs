using System.CommandLine;
using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Evaluation;
using DDist.Pipeline;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist eval SET --protocol sel|mtt|dc [overrides]`: trains fresh networks on a small set and reports the
/// mean ± population std of their test accuracy (the reference code's evaluate_synset in SelMatch, MTT and DC
/// `utils.py`).</summary>
public static class EvalCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var setPath = new Argument<string>("SET") { Description = "A small set written by `ddist select` or `ddist distill` (.safetensors)" };
        var protocol = new Option<string>("--protocol") { Description = "sel (ResNet18BN, lr 0.1 cosine, batch 128, combined aug), mtt (ConvNet, learned lr, step, DSA) dc (ConvNet, lr 0.01, step, DSA, 20 nets) or steps (DD/SLD sets: exactly the learned GD steps from xavier inits)", DefaultValueFactory = _ => "sel" };
        var eval = new EvalOptions();
        var hardLabels = new Option<bool>("--hard-labels")
        {
            Description = "Train on each image's class (the soft labels' argmax) instead of the set's soft labels: how much of a soft-label set's accuracy its labels carry",
        };
        var cmd = new Command("eval", "Evaluate a small set: train networks on it, test on the full test set") { setPath, protocol, hardLabels };
        eval.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(setPath)!;
            InputFile.Require(path, "small-set file");
            ctx.OutFile();   // a --out that cannot be written fails now, not after every network has trained
            using var loaded = SmallSet.Load(path);
            using var hard = parse.GetValue(hardLabels) ? HardLabelled(path, loaded) : null;
            var set = hard ?? loaded;
            using var zca = set.Zca is null ? null : ZcaTransform.FromTensors(set.Zca, ctx.Device);
            using var data = DataOf(path, set, ctx, zca);

            if (parse.GetValue(protocol)!.Trim().Equals("steps", StringComparison.OrdinalIgnoreCase))
            {
                // The learned steps are the whole training (their sizes, order and chunks): a training option would be ignored.
                Option[] training = [eval.Epochs, eval.Lr, eval.Batch, eval.Aug, eval.Schedule];
                if (training.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
                    throw new CliException($"{given.Name}: --protocol steps trains exactly the set's learned steps; only --model and --nets apply");
                return LearnedStepsEval.Run(ctx, path, set, data.Test, parse.GetValue(eval.Model), parse.GetValue(eval.Nets));
            }
            var preset = Preset(parse.GetValue(protocol)!, set, ctx);
            var p = eval.Apply(parse, preset with
            {
                AugmentOptions = AugmentOptions.ForDataset(data.Name, preset.AugmentOptions.Dsa),
            }).ForSet(set);
            ctx.Note($"eval {path}: {set.Count} images ({set.DistilledCount} distilled) of {data.Name}; protocol {p.Name}: {EvalOptions.Summary(p)}" +
                     (hard is null ? "" : "; hard labels (each image's class) instead of the set's soft labels"));
            var result = ProgressView.Run(ctx, pr => Evaluate(ctx, set, data.Test, p, pr));
            var json = new
            {
                set = path, dataset = data.Name, method = set.Info.Method, ipc = set.Info.Ipc, images = set.Count, distilled = set.DistilledCount,
                seed = ctx.Seed, protocol = EvalOptions.Describe(p), mean = result.Mean, std = result.Std, accuracies = result.Accuracies,
                diverged = result.Diverged, seconds = result.Elapsed.TotalSeconds, hardLabels = hard is not null,
            };
            if (ctx.Out is { } outPath)
            {
                ctx.SaveJson(outPath, json);
                if (Directory.Exists(Partial(outPath))) Directory.Delete(Partial(outPath), recursive: true);
            }
            ctx.WriteResult(json, o => o.WriteLine($"{path}: test accuracy {result.Mean:P2} ± {result.Std:P2} over {result.Accuracies.Length} network(s) " +
                                                   $"[{string.Join(", ", result.Accuracies.Select(a => a.ToString("P2")))}] in {result.Elapsed:hh\\:mm\\:ss}" +
                                                   (result.Diverged == 0 ? "" : $"; {result.Diverged} diverged (non-finite training loss): try a smaller --lr")));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The set training on its classes rather than its soft labels (DD-Ranking's question: how much of a
    /// soft-label method's accuracy is its labels'); its digest differs, so kept networks of the two never mix.</summary>
    private static SmallSet HardLabelled(string path, SmallSet set) => set.SoftLabels is null
        ? throw new CliException($"--hard-labels: {path} has no soft labels; it trains on its classes already")
        : set.WithSoftLabels(null);

    /// <summary>With --out, each network is kept beside it as it finishes (OUT.partial/net-K.json, named by the set, the
    /// protocol and the seed), so the same command run again after an interruption resumes at the network it was in;
    /// without, the networks run in one go.</summary>
    private static EvalResult Evaluate(CliContext ctx, SmallSet set, DDist.Data.ImageDataset test, EvalProtocol p, IProgress<ProgressReport> progress)
    {
        if (ctx.Out is not { } outPath) return SmallSetEvaluator.Evaluate(set, test, p, ctx.Seed, progress, ctx.Cancel);
        var trainedOn = $"{set.Digest()}; {System.Text.Json.JsonSerializer.Serialize(EvalOptions.Describe(p))}; seed {ctx.Seed}";
        return NetworkResults.EvaluateSet(Partial(outPath), "eval", set, test, p, ctx.Seed, progress, ctx.Cancel, trainedOn);
    }

    private static string Partial(string outPath) => outPath + ".partial";

    /// <summary>The dataset the set names, in the set's space (its ZCA transform, <paramref name="zca"/>, or the
    /// dataset's normalisation), checked to fit the set; a name no dataset has, another normalisation or another shape
    /// is bad data in the set's file.</summary>
    internal static LoadedData DataOf(string path, SmallSet set, CliContext ctx, ZcaTransform? zca)
    {
        LoadedData data;
        try { data = CliData.Load(set.Info.Dataset, ctx.Device, zca); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: the set's dataset '{set.Info.Dataset}': {e.Message}"); }
        try
        {
            if (zca is null && set.Info.Normalization != data.Normalization.Name)
                throw new InvalidDataException($"{path}: images are in normalisation '{set.Info.Normalization}', but {data.Name} loads as '{data.Normalization.Name}'");
            set.CheckFits(path, data.Test);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>The protocol preset; MTT evaluates with the set's learned step size when it has one (applied by
    /// <see cref="EvalProtocol.ForSet"/>, as everywhere else; --lr overrides it).</summary>
    internal static EvalProtocol Preset(string name, SmallSet set, CliContext ctx)
    {
        var preset = EvalProtocol.Preset(name);
        if (preset.Name == "whole") throw new CliException($"--protocol {name}: use `ddist train` for the whole-data row");
        if (preset.UseLearnedLr && set.LearnedLr is null)
            ctx.Note($"the set has no learned learning rate; the {preset.Name} protocol uses lr {preset.LearningRate} (pass --lr to choose)");
        return preset;
    }
}
