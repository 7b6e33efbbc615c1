using System.CommandLine;
using DDist.Data;

namespace DDist.Cli.Commands;

/// <summary>`ddist data fetch NAME [--from DIR]` and `ddist data info NAME`.</summary>
public static class DataCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var data = new Command("data", "Fetch datasets and describe them");
        data.Subcommands.Add(Fetch(globals));
        data.Subcommands.Add(Import(globals));
        data.Subcommands.Add(Info(globals));
        return data;
    }

    private static Command Fetch(GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "Dataset name (mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet)" };
        var from = new Option<string?>("--from") { Description = "Import from a local folder or archive instead of downloading" };
        var symlink = new Option<bool>("--symlink") { Description = "With --from: link to the files instead of copying them" };
        var cmd = new Command("fetch", "Download a dataset (checksums verified) or import it from a local copy") { name, from, symlink };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dataset = DatasetRegistry.Canonical(parse.GetValue(name)!);
            if (DatasetRegistry.IsFolder(dataset)) throw new CliException($"dataset '{dataset}': image folders are read in place; nothing to fetch");
            var source = parse.GetValue(from);
            if (source is not null && !File.Exists(source) && !Directory.Exists(source))
                throw new FileNotFoundException($"--from {source}: no such file or folder", source);
            if (source is null && parse.GetValue(symlink)) throw new CliException("--symlink needs --from");
            using var fetcher = new DatasetFetcher(DatasetLocator.FromEnvironment());
            if (source is not null) return ImportUnlessInstalled(ctx, fetcher, dataset, source, parse.GetValue(symlink), replace: false);
            string dir = ProgressView.Run(ctx, p => fetcher.FetchAsync(dataset, new FetchProgressAdapter(p), ctx.Cancel).GetAwaiter().GetResult());
            ctx.WriteResult(new { dataset, path = dir }, w => w.WriteLine($"{dataset}: ready in {dir}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import(GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "Dataset name" };
        var dir = new Argument<string>("DIR") { Description = "A folder or archive holding the official files" };
        var symlink = new Option<bool>("--symlink") { Description = "Link to the files instead of copying them" };
        var replace = new Option<bool>("--replace") { Description = "Put this copy in place of an installed one (checked before the old one is removed)" };
        var cmd = new Command("import", "Install a dataset from a local copy (same as `data fetch NAME --from DIR`)") { name, dir, symlink, replace };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dataset = DatasetRegistry.Canonical(parse.GetValue(name)!);
            var source = parse.GetValue(dir)!;
            if (!File.Exists(source) && !Directory.Exists(source)) throw new FileNotFoundException($"{source}: no such file or folder", source);
            using var fetcher = new DatasetFetcher(DatasetLocator.FromEnvironment());
            return ImportUnlessInstalled(ctx, fetcher, dataset, source, parse.GetValue(symlink), parse.GetValue(replace));
        });
        return cmd;
    }

    /// <summary>Installing what is already installed is done, not an error (a set-up script may run twice): the copy
    /// given is not read then, and the message says how to put it in place instead.</summary>
    private static int ImportUnlessInstalled(CliContext ctx, DatasetFetcher fetcher, string dataset, string source, bool symlink, bool replace)
    {
        if (!replace && fetcher.Installed(dataset) is { } present)
        {
            ctx.WriteResult(new { dataset, path = present, imported = false },
                            w => w.WriteLine($"{dataset}: already installed in {present}; nothing imported (`ddist data import {dataset} {source} --replace` puts that copy in its place)"));
            return ExitCodes.Ok;
        }
        var installed = fetcher.Import(dataset, source, symlink ? ImportMode.Symlink : ImportMode.Copy, replace);
        ctx.WriteResult(new { dataset, path = installed, imported = true }, w => w.WriteLine($"{dataset}: ready in {installed}"));
        return ExitCodes.Ok;
    }

    private static Command Info(GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "Dataset name or folder:PATH" };
        var cmd = new Command("info", "Sizes, shapes, classes and pixel statistics of a dataset") { name };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var info = DatasetInfo.Describe(parse.GetValue(name)!);
            ctx.WriteResult(info, w => WriteInfo(w, info));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void WriteInfo(TextWriter w, DatasetInfo info)
    {
        w.WriteLine($"{info.Name}  (read from {info.Source})");
        foreach (var (label, s) in new[] { ("train", info.Train), ("test", info.Test) })
        {
            w.WriteLine($"  {label,-5} {s.Count,7} images  {s.Channels}×{s.Height}×{s.Width}  " +
                        $"mean [{string.Join(", ", s.Mean.Select(m => m.ToString("0.0000")))}]  std [{string.Join(", ", s.Std.Select(m => m.ToString("0.0000")))}]");
            w.WriteLine($"        per class: {string.Join(" ", s.ClassCounts)}");
        }
        w.WriteLine($"  classes ({info.NumClasses}): {string.Join(", ", info.ClassNames.Take(20))}{(info.NumClasses > 20 ? ", …" : "")}");
        if (info.DefaultNormalization is { } n)
            w.WriteLine($"  normalisation '{n.Name}': mean [{string.Join(", ", n.Mean)}] std [{string.Join(", ", n.Std)}]");
        if (info.SplitNote is { } note) w.WriteLine($"  note: {note}");
    }

    /// <summary>Shows download progress in the common progress view.</summary>
    private sealed class FetchProgressAdapter(IProgress<ProgressReport> inner) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress p) =>
            inner.Report(new ProgressReport(p.File, p.Bytes, p.TotalBytes ?? Math.Max(p.Bytes, 1), new Dictionary<string, double> { ["MB"] = p.Bytes / 1e6 }));
    }
}
