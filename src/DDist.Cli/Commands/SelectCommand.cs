using System.CommandLine;
using DDist.Selection;

namespace DDist.Cli.Commands;

/// <summary>`ddist select METHOD ...`: picks real images into a small-set artefact. Methods are subcommands;
/// add new ones to <see cref="Methods"/>.</summary>
public static class SelectCommand
{
    private static readonly Func<GlobalOptions, Command>[] Methods =
        [Random, CoresetSelectCommands.Herding, CoresetSelectCommands.KCenter, CoresetSelectCommands.Forgetting];

    public static Command Create(GlobalOptions globals)
    {
        var select = new Command("select", "Select real training images into a small set (safetensors + json)");
        foreach (var m in Methods) select.Subcommands.Add(m(globals));
        return select;
    }

    private static Command Random(GlobalOptions globals)
    {
        var dataset = CommonOptions.Dataset();
        var ipc = new Option<int>("--ipc") { Description = "Images per class", Required = true };
        var cmd = new Command("random", "The Random baseline: IPC images per class uniformly without replacement (--seed)") { dataset, ipc };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = ctx.RequireOut("select random", "FILE.safetensors");
            int n = CommonOptions.Positive(parse.GetValue(ipc), 0, "--ipc");
            using var data = CliData.Load(parse.GetValue(dataset)!, ctx.Device);
            using var set = RandomSelection.Select(data.Train, n, ctx.Seed);
            set.Save(path);
            ctx.WriteResult(new { path, dataset = data.Name, method = "random", ipc = n, images = set.Count, seed = ctx.Seed },
                o => o.WriteLine($"{path}: {set.Count} images ({n} per class) of {data.Name}, random, seed {ctx.Seed}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
