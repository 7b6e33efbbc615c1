using System.CommandLine;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Runs a command body with the global settings resolved and turns failures into one message on stderr
/// and an exit code: user errors (bad names, paths, inconsistent options) exit 2, Ctrl+C 130, anything else 70.
/// Set DDIST_DEBUG=1 to see stack traces.</summary>
public static class CommandAction
{
    public static void Set(Command command, GlobalOptions globals, Func<ParseResult, CliContext, int> body) =>
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, globals, body, ct)));

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
        catch (Exception e) when (IsUserError(e))
        {
            return Fail(error, e, "error: " + OneLine(e), ExitCodes.UsageError);
        }
        catch (TorchException e)
        {
            return Fail(error, e, "error: libtorch: " + OneLine(e), ExitCodes.InternalError);
        }
        catch (Exception e)
        {
            return Fail(error, e, $"error: internal {e.GetType().Name}: {OneLine(e)}", ExitCodes.InternalError);
        }
    }

    private static bool IsUserError(Exception e) => e is CliException or ArgumentException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or FormatException or InvalidOperationException
        or NotSupportedException or UnauthorizedAccessException or IOException;

    private static int Fail(TextWriter error, Exception e, string line, int code)
    {
        error.WriteLine(line);
        if (Environment.GetEnvironmentVariable("DDIST_DEBUG") is "1" or "true") error.WriteLine(e);
        return code;
    }

    private static string OneLine(Exception e) => string.Join("; ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
