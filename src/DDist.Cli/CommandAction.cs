using System.CommandLine;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Runs a command body with the global settings resolved and turns failures into one message on stderr
/// and an exit code from <see cref="ExitCodes.For"/>: usage 2, bad data 65, missing input 66, I/O 74, Ctrl+C 130;
/// anything else is internal (70) and says so.
/// Set DDIST_DEBUG=1 to see stack traces.</summary>
public static class CommandAction
{
    /// <remarks>The body runs as a started task: System.CommandLine turns SIGINT/SIGTERM into a cancellation of the
    /// action's token only once the action has handed back its task, so a body run inside the call (Task.FromResult)
    /// was never told: Ctrl+C killed the process instead of letting the command stop, say so and exit 130.</remarks>
    public static void Set(Command command, GlobalOptions globals, Func<ParseResult, CliContext, int> body) =>
        command.SetAction((parse, ct) => Task.Factory.StartNew(() => Run(parse, globals, body, ct), CancellationToken.None,
                                                               TaskCreationOptions.LongRunning, TaskScheduler.Default));

    private static int Run(ParseResult parse, GlobalOptions globals, Func<ParseResult, CliContext, int> body, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return body(parse, globals.Resolve(parse, parse.InvocationConfiguration.Output, error, ct));
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("interrupted; finished work and checkpoints are kept, run the same command again to continue");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            var (code, isInternal) = ExitCodes.For(e);
            string line = e is TorchException ? "error: internal libtorch failure: " + OneLine(e)
                : isInternal ? $"error: internal {e.GetType().Name} (a bug; rerun with DDIST_DEBUG=1 and report it): {OneLine(e)}"
                : "error: " + OneLine(e);
            return Fail(error, e, line, code);
        }
    }

    private static int Fail(TextWriter error, Exception e, string line, int code)
    {
        error.WriteLine(line);
        if (Environment.GetEnvironmentVariable("DDIST_DEBUG") is "1" or "true") error.WriteLine(e);
        return code;
    }

    /// <summary>The message on one line: its lines joined by "; ", a heading's colon joining its first line.</summary>
    private static string OneLine(Exception e) =>
        string.Join("; ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace(":; ", ": ");
}
