using System.CommandLine;
using System.CommandLine.Help;
using DDist.Cli.Commands;

namespace DDist.Cli;

/// <summary>The `ddist` command line. Each command lives in Commands/ and is listed in <see cref="Commands"/>.</summary>
public static class Program
{
    /// <summary>Registration point: one factory per top-level command.</summary>
    private static readonly Func<GlobalOptions, Command>[] Commands =
    [
        DataCommand.Create,
        ModelsCommand.Create,
        TrainCommand.Create,
        ExpertsCommand.Create,
        SelectCommand.Create,
        EvalCommand.Create,
        RankCommand.Create,
        ScoresCommand.Create,
        RunCommand.CreateWindow,
        RunCommand.CreateDistill,
        RunCommand.Create,
        ReportCommands.CreateReport,
        ReportCommands.CreateShow,
        RunCommand.CreateDemo,
        SelfTestCommand.Create,
        StatusCommand.Create,
        TaskCommand.Create,
        CompareCommand.Create,
        CoverageCommand.Create,
        ImportSetCommand.Create,
        ImportExpertsCommand.Create,
        ExportSetCommand.Create,
    ];

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs one command line, writing to the given streams (tests call this in-process).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var globals = new GlobalOptions();
        // Named `ddist` whatever starts it (./ddist, the .NET tool, dotnet DDist.Cli.dll): a RootCommand would take the
        // assembly's name for the usage line. Help and version are what RootCommand would add.
        var root = new Command("ddist", "DDist: dataset distillation and selection (SelMatch, MTT, DC family) on libtorch")
        {
            new HelpOption(), new VersionOption(),
        };
        globals.AddTo(root);
        foreach (var create in Commands) root.Subcommands.Add(create(globals));
        EmptyValues.RefuseIn(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A malformed command line is a usage error (2), like every other bad argument (see ExitCodes).
            foreach (var e in parse.Errors) error.WriteLine("error: " + e.Message);
            error.WriteLine("run `ddist --help` (or `ddist COMMAND --help`) for the usage");
            return ExitCodes.UsageError;
        }
        return parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false })
                    .GetAwaiter().GetResult();
    }
}
