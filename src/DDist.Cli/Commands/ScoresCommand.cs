using System.CommandLine;
using DDist.Data;
using DDist.Models;
using DDist.Selection;
using DDist.Torch;

namespace DDist.Cli.Commands;

/// <summary>`ddist scores forgetting` computes forgetting scores (Toneva et al.) by training networks;
/// `ddist scores import FILE` takes published scores (.npy, .npz, CSV). Both write one score file format.</summary>
public static class ScoresCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var cmd = new Command("scores", "Difficulty scores for the sliding window: compute forgetting scores or import published ones");
        cmd.Subcommands.Add(Forgetting(globals));
        cmd.Subcommands.Add(Import(globals));
        return cmd;
    }

    private static Command Forgetting(GlobalOptions globals)
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
        var cmd = new Command("forgetting", "Count forgetting events per training example over several runs (never-learned ranked hardest unless --never-learned zero); needs --out FILE; " +
                                               "resumes when run again after an interruption (FILE.partial/)")
            { dataset, model, runs, epochs, batch, lr, nesterov, neverLearned };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var outPath = ctx.RequireOut("scores forgetting", "FILE.safetensors");
            var rule = parse.GetValue(neverLearned);
            if (rule is not ("most-forgotten" or "zero")) throw new CliException($"--never-learned {rule}: must be most-forgotten or zero");
            // As a recipe's forgetting.epochs: a forgetting event is a change between two consecutive presentations.
            int epochCount = parse.GetValue(epochs) is var e && e >= 2 ? e
                : throw new CliException($"--epochs {e}: must be at least 2 (forgetting counts changes between consecutive presentations)");
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            var train = data.Train;
            var name = parse.GetValue(model) ?? "LeNet";
            _ = ModelZoo.Create(name, train.Channels, train.NumClasses, train.Height, train.Width);  // unknown names fail before any work
            var options = new ForgettingOptions
            {
                Runs = CommonOptions.Positive(parse.GetValue(runs), 5, "--runs"), Epochs = epochCount,
                BatchSize = CommonOptions.Positive(parse.GetValue(batch), 128, "--batch"), Lr = CommonOptions.PositiveReal(parse.GetValue(lr), 0.01, "--lr"),
                Nesterov = parse.GetValue(nesterov), NeverLearned = rule, Seed = (int)ctx.Seed,
            };
            // Finished runs and the running one's epoch checkpoints wait beside the output, so running the same command
            // again after an interruption resumes; they go once the scores are written.
            var partial = outPath + ".partial";
            var scores = ProgressView.Run(ctx, p => new ForgettingScoreTrainer(() => ModelZoo.Create(name, train.Channels, train.NumClasses, train.Height, train.Width), train)
                .Run(options, p, ctx.Cancel, runDir: partial));
            scores.Save(outPath);
            Directory.Delete(partial, recursive: true);
            ctx.WriteResult(new { file = Path.GetFullPath(outPath), count = scores.Count, source = scores.Source },
                w => w.WriteLine($"{Path.GetFullPath(outPath)}: forgetting scores of {scores.Count} examples ({scores.Source})"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import(GlobalOptions globals)
    {
        var file = new Argument<string>("file") { Description = ".npy, .npz (arrays 'scores' and optional 'labels'), CSV, in training-set order, or a DDist score file (.safetensors)" };
        var dataset = CommonOptions.Dataset();
        var kind = new Option<string?>("--kind") { Description = "cscore (low = hard) or forgetting (high = hard); default: cscore, or the kind a DDist score file records (another is refused)" };
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
