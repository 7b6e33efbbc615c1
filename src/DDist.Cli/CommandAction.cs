using System.CommandLine;
using System.Runtime.InteropServices;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Runs a command body with the global settings resolved and turns failures into one message on stderr
/// and an exit code from <see cref="ExitCodes.For"/>: usage 2, bad data 65, missing input 66, out of memory 71, I/O 74, Ctrl+C 130;
/// anything else is internal (70) and says so.
/// Set DDIST_DEBUG=1 to see stack traces.</summary>
public static class CommandAction
{
    /// <remarks>The body runs on the calling thread (libtorch's OpenMP team belongs to it: a body moved to another
    /// thread trained 2.5× slower here) with SIGINT/SIGTERM of its own: System.CommandLine registers its handler only
    /// once an action has handed back its task, i.e. after a synchronous body has finished, so a real Ctrl+C used to
    /// kill the process outright. The first signal cancels the command (it stops at its next step, says so, exits 130);
    /// a second one is left to terminate the process.</remarks>
    public static void Set(Command command, GlobalOptions globals, Func<ParseResult, CliContext, int> body) =>
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, globals, body, ct)));

    private static int Run(ParseResult parse, GlobalOptions globals, Func<ParseResult, CliContext, int> body, CancellationToken token)
    {
        using var signalled = CancellationTokenSource.CreateLinkedTokenSource(token);
        void Stop(PosixSignalContext signal)
        {
            if (signalled.IsCancellationRequested) return;   // a second signal terminates as usual
            signal.Cancel = true;
            signalled.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var ct = signalled.Token;
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
            string line = e is TorchException { IsOutOfMemory: true }
                    ? $"error: out of memory: {OneLine(e)}; the run needs less at once (IPC, batch, syn_steps, the network's width) " +
                      "or a larger device; finished work and checkpoints are kept"
                : e is TorchException ? "error: internal libtorch failure: " + OneLine(e)
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
