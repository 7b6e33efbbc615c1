namespace DDist.Cli;

/// <summary>Process exit codes of `ddist`.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad arguments or inputs: unknown names, missing files, inconsistent options.</summary>
    public const int UsageError = 2;
    /// <summary>A failure inside DDist or libtorch that is not the user's input.</summary>
    public const int InternalError = 70;
    /// <summary>Interrupted (Ctrl+C); long commands keep checkpoints and resume on the next run.</summary>
    public const int Interrupted = 130;
}
