namespace DDist.Cli;

/// <summary>A user error the command line reports as one line (no stack trace) with a non-zero exit code.</summary>
public sealed class CliException(string message) : Exception(message);
