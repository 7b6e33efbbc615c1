namespace DDist.Tests.Cli;

/// <summary>What one in-process `ddist` run returned: its exit code and everything it wrote.</summary>
internal sealed record CliResult(int Code, string Out, string Err);

/// <summary>Runs the `ddist` entry point in-process with captured output, on a fixed libtorch thread count so that
/// tests sharing the 2-core CI machine do not oversubscribe it.</summary>
internal static class CliRun
{
    public static CliResult Run(params string[] args) => RunOnThreads(2, args);

    public static CliResult RunOnThreads(int threads, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = DDist.Cli.Program.Run([.. args, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)], output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Bad input: a non-zero code, every mention in the error output, and no stack trace.</summary>
    public static void AssertFails(CliResult r, params string[] mentions)
    {
        Assert.NotEqual(0, r.Code);
        foreach (var m in mentions) Assert.Contains(m, r.Err);
        Assert.DoesNotContain("   at ", r.Err);   // no stack trace
    }
}
