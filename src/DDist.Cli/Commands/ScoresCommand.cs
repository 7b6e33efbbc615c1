using System.CommandLine;
using DDist.Data;
using DDist.Models;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Cli.Commands;

/// <summary>`ddist scores forgetting` computes forgetting scores (Toneva et al.) by training networks, `ddist scores
/// learning-speed` the C-score's learning-speed proxy from the same runs; `ddist scores import FILE` takes published
/// scores (.npy, .npz, CSV). All write one score file format.</summary>
public static class ScoresCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var cmd = new Command("scores", "Difficulty scores for the sliding window: compute forgetting or learning-speed scores, or import published ones");
        cmd.Subcommands.Add(Computed(globals, ScoreKind.Forgetting));
        cmd.Subcommands.Add(Computed(globals, ScoreKind.LearningSpeed));
        cmd.Subcommands.Add(Import(globals));
        return cmd;
    }

    /// <summary>`scores forgetting` and `scores learning-speed`: the same training runs (Toneva et al.'s setup),
    /// combined into forgetting counts or into the mean true-label confidence (Jiang et al. 2021's learning speed).</summary>
    private static Command Computed(GlobalOptions globals, ScoreKind kind)
    {
        var dataset = CommonOptions.Dataset();
        var model = CommonOptions.Model("LeNet");
        var runs = new Option<int>("--runs") { Description = "Training runs averaged", DefaultValueFactory = _ => 5 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per run (presentations per example)", DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 0.01 };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum (DeepCore's optimiser; Toneva et al. use plain momentum)" };
        var neverLearned = new Option<string>("--never-learned")
        {
            Description = "most-forgotten (Toneva et al.: counted as forgotten at every presentation) or zero (DeepCore)",
            DefaultValueFactory = _ => "most-forgotten",
        };
        var name = kind.FileName();
        var cmd = kind == ScoreKind.Forgetting
            ? new Command(name, "Count forgetting events per training example over several runs (never-learned ranked hardest unless --never-learned zero); needs --out FILE; " +
                                "resumes when run again after an interruption (FILE.partial/)")
            : new Command(name, "Learning speed per training example, the C-score's training-statistics proxy (Jiang et al. 2021): the softmax probability " +
                                "of its label averaged over every presentation of several runs (low = hard); needs --out FILE; resumes like `scores forgetting`");
        foreach (var option in new Option[] { dataset, model, runs, epochs, batch, lr, nesterov }) cmd.Options.Add(option);
        if (kind == ScoreKind.Forgetting) cmd.Options.Add(neverLearned);   // learning speed has no forgetting count to rule on
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var outPath = ctx.RequireOut($"scores {name}", "FILE.safetensors");
            var rule = kind == ScoreKind.Forgetting ? parse.GetValue(neverLearned) : null;   // null: the default rule, unused by learning speed
            if (rule is not (null or "most-forgotten" or "zero")) throw new CliException($"--never-learned {rule}: must be most-forgotten or zero");
            // As a recipe's scores.epochs: a forgetting event is a change between two consecutive presentations (and the
            // runs are shared, so learning speed keeps the same floor).
            int epochCount = parse.GetValue(epochs) is var e && e >= 2 ? e
                : throw new CliException($"--epochs {e}: must be at least 2 (forgetting counts changes between consecutive presentations)");
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            var train = data.Train;
            var modelName = parse.GetValue(model) ?? "LeNet";
            _ = ModelZoo.Create(modelName, train.Channels, train.NumClasses, train.Height, train.Width);  // unknown names fail before any work
            var options = new ForgettingOptions
            {
                Runs = CommonOptions.Positive(parse.GetValue(runs), 5, "--runs"), Epochs = epochCount,
                BatchSize = CommonOptions.Positive(parse.GetValue(batch), 128, "--batch"), Lr = CommonOptions.PositiveReal(parse.GetValue(lr), 0.01, "--lr"),
                Nesterov = parse.GetValue(nesterov), NeverLearned = rule, Seed = (int)ctx.Seed,
            };
            // Finished runs and the running one's epoch checkpoints wait beside the output, so running the same command
            // again after an interruption resumes; they go once the scores are written.
            var partial = outPath + ".partial";
            var scores = ProgressView.Run(ctx, p => new ForgettingScoreTrainer(() => ModelZoo.Create(modelName, train.Channels, train.NumClasses, train.Height, train.Width), train)
                .Run(options, p, ctx.Cancel, runDir: partial, kind));
            scores.Save(outPath);
            Directory.Delete(partial, recursive: true);
            ctx.WriteResult(new { file = Path.GetFullPath(outPath), count = scores.Count, kind = name, source = scores.Source },
                w => w.WriteLine($"{Path.GetFullPath(outPath)}: {name} scores of {scores.Count} examples ({scores.Source})"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import(GlobalOptions globals)
    {
        var file = new Argument<string>("file") { Description = ".npy, .npz (arrays 'scores' and optional 'labels'), CSV, in training-set order, or a DDist score file (.safetensors)" };
        var dataset = CommonOptions.Dataset();
        var kind = new Option<string?>("--kind") { Description = "cscore (low = hard), forgetting (high = hard) or learning-speed (low = hard); default: cscore, or the kind a DDist score file records (another is refused)" };
        var cmd = new Command("import", "Import published scores aligned to the training set; length and labels are checked; needs --out FILE") { file, dataset, kind };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var outPath = ctx.RequireOut("scores import", "FILE.safetensors");
            ScoreKind? scoreKind;
            try { scoreKind = parse.GetValue(kind) is string k ? ScoreKindExtensions.ParseScoreKind(k, "--kind") : null; }
            catch (InvalidDataException e) { throw new CliException(e.Message); }   // an option, not a file's content
            var name = parse.GetValue(dataset)!;
            var raw = DatasetRegistry.Load(name);
            var labels = raw.Train.Labels.Select(l => (long)l).ToArray();
            var scores = ScoreImport.Load(parse.GetValue(file)!, scoreKind, raw.Name, labels);
            scores.Save(outPath);
            ctx.WriteResult(new { file = Path.GetFullPath(outPath), count = scores.Count, kind = scores.Kind.ToString() },
                w => w.WriteLine($"{Path.GetFullPath(outPath)}: {scores.Count} {scores.Kind} scores for {raw.Name}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
