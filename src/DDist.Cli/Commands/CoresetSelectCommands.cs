using System.CommandLine;
using DDist.Artifacts;
using DDist.Selection;

namespace DDist.Cli.Commands;

/// <summary>`ddist select herding|kcenter|forgetting`: the coreset baselines, class-balanced (IPC per class).
/// Herding and k-center train an embedding network on the whole training set first (--embed-model, --embed-epochs).</summary>
public static class CoresetSelectCommands
{
    public static Command Herding(GlobalOptions globals)
    {
        var rule = new Option<string>("--rule") { Description = "argmin (textbook herding: Welling 2009, iCaRL) or argmax (DeepCore's herding.py)", DefaultValueFactory = _ => "argmin" };
        return Embedded(globals, "herding", "Herding on the features of a trained network, per class", rule, parse =>
        {
            var r = parse.GetValue(rule)!.Trim().ToLowerInvariant() switch
            {
                "argmin" => HerdingRule.Argmin,
                "argmax" => HerdingRule.Argmax,
                var other => throw new CliException($"--rule '{other}': expected argmin or argmax"),
            };
            return (train, features, ipc, seed, info) => CoresetSelection.Herd(train, features, ipc, r, info with { Method = DDist.Selection.Herding.MethodName(r) });
        });
    }

    public static Command KCenter(GlobalOptions globals) =>
        Embedded(globals, "kcenter", "k-Center Greedy on the features of a trained network, per class (first centre drawn from --seed)", null,
            _ => (train, features, ipc, seed, info) => CoresetSelection.KCenter(train, features, ipc, (int)seed, info));

    public static Command Forgetting(GlobalOptions globals)
    {
        var dataset = CommonOptions.Dataset();
        var ipc = new Option<int>("--ipc") { Description = "Images per class", Required = true };
        var scores = new Option<string>("--scores") { Description = "Forgetting scores from `ddist scores forgetting` (.safetensors)", Required = true };
        var cmd = new Command("forgetting", "The IPC most forgotten examples of each class (Toneva et al. 2019), from a forgetting-score file") { dataset, ipc, scores };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = ctx.RequireOut("select forgetting", "FILE.safetensors");
            int n = CommonOptions.Positive(parse.GetValue(ipc), 0, "--ipc");
            var scoresPath = parse.GetValue(scores)!;
            var s = DifficultyScores.Load(scoresPath);
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            if (s.Dataset != data.Name)
                throw new InvalidDataException($"{scoresPath}: metadata field 'dataset' is '{s.Dataset}', but the selection is from '{data.Name}'");
            s.CheckAgainst(data.Train.Labels.To(Torch.DType.Int64, Torch.Device.Cpu).ToArray<long>(), scoresPath);
            using var set = CoresetSelection.Forgetting(data.Train, s, n, CoresetSelection.Info(data.Train, "forgetting", n, (int)ctx.Seed, new() { ["scores"] = s.Source }));
            set.Save(path);
            ctx.WriteResult(new { path, dataset = data.Name, method = "forgetting", ipc = n, images = set.Count },
                o => o.WriteLine($"{path}: {set.Count} images ({n} per class) of {data.Name}, forgetting ({scoresPath})"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private delegate SmallSet Choose(Data.ImageDataset train, Torch.Tensor features, int ipc, ulong seed, SmallSetInfo info);

    /// <param name="parseChooser">Reads the method's own options (before any work) and returns the selection.</param>
    private static Command Embedded(GlobalOptions globals, string name, string description, Option? extra, Func<ParseResult, Choose> parseChooser)
    {
        var dataset = CommonOptions.Dataset();
        var ipc = new Option<int>("--ipc") { Description = "Images per class", Required = true };
        var model = new Option<string>("--embed-model") { Description = "Network trained for the features (DeepCore: ResNet18)", DefaultValueFactory = _ => "ConvNet" };
        var epochs = new Option<int>("--embed-epochs") { Description = "Its training epochs (DeepCore: 40)", DefaultValueFactory = _ => 5 };
        var keep = new Option<string?>("--embedding")
        {
            Description = "Keep the trained embedding network in this file (.safetensors) and read it back on later calls with the same " +
                          "--embed-model, --embed-epochs and --seed (another IPC, herding and k-center alike); its training resumes from FILE.checkpoint",
        };
        var cmd = new Command(name, description) { dataset, ipc, model, epochs, keep };
        if (extra is not null) cmd.Options.Add(extra);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = ctx.RequireOut($"select {name}", "FILE.safetensors");
            int n = CommonOptions.Positive(parse.GetValue(ipc), 0, "--ipc");
            var choose = parseChooser(parse);
            var options = new EmbeddingOptions { Model = parse.GetValue(model)!, Epochs = CommonOptions.Positive(parse.GetValue(epochs), 0, "--embed-epochs"), Seed = (int)ctx.Seed };
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            int smallest = data.Train.IndicesByClass().Min(c => c.Length);
            if (n > smallest) throw new CliException($"--ipc {n}: larger than the smallest class of {data.Name} ({smallest} images)");
            using var net = Embedding(ctx, data.Train, options, parse.GetValue(keep));
            using var features = net.Embed(data.Train.Images);
            var info = CoresetSelection.Info(data.Train, name, n, (int)ctx.Seed, new() { ["embedding"] = options.ToString() });
            using var set = choose(data.Train, features, n, ctx.Seed, info);
            set.Save(path);
            ctx.WriteResult(new { path, dataset = data.Name, method = set.Info.Method, ipc = n, images = set.Count, embedding = options.ToString(), trainAccuracy = net.TrainAccuracy },
                o => o.WriteLine($"{path}: {set.Count} images ({n} per class) of {data.Name}, {set.Info.Method} on {options}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The embedding network: with <paramref name="keep"/>, read from there or trained (resumable) and kept there;
    /// without, trained here and not kept.</summary>
    private static EmbeddingNetwork Embedding(CliContext ctx, DDist.Data.ImageDataset train, EmbeddingOptions options, string? keep)
    {
        if (keep is not null && File.Exists(keep)) ctx.Note($"embedding network read from {keep}");
        else ctx.Note($"training the embedding network: {options}");
        return keep is null
            ? ProgressView.Run(ctx, p => EmbeddingNetwork.Train(train, options, p, ctx.Cancel))
            : ProgressView.Run(ctx, p => EmbeddingNetwork.LoadOrTrain(keep, train, options, out _, p, ctx.Cancel));
    }
}
