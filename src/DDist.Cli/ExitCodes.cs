using System.Text.Json;
using DDist.Distillation;
using DDist.Recipes;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Process exit codes of `ddist`, and the one place that maps a failure to its code. The numbers follow
/// BSD sysexits.h where one fits (EX_DATAERR 65, EX_NOINPUT 66, EX_SOFTWARE 70, EX_IOERR 74), so scripts can tell
/// "fix your input" from "this is a bug".</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command line is wrong: unknown command, option, dataset, model or method name; a value out of
    /// range; options that contradict each other.</summary>
    public const int UsageError = 2;
    /// <summary>An input's content is wrong: a recipe that is not valid JSON, lacks a field or holds a bad value; a
    /// tensor, score or state file that does not parse or does not fit; an output folder made by another recipe;
    /// a distillation or an expert's training that diverged with the given settings.</summary>
    public const int DataError = 65;
    /// <summary>An input file or folder named on the command line (or by a recipe) does not exist.</summary>
    public const int NoInput = 66;
    /// <summary>The scheduler (Slurm's sbatch/squeue/scancel) is missing, fails or does not answer.</summary>
    public const int Unavailable = 69;
    /// <summary>A failure inside DDist or libtorch that is not the user's input (a bug: please report it with DDIST_DEBUG=1).</summary>
    public const int InternalError = 70;
    /// <summary>A device ran out of memory (libtorch could not allocate, or the CPU tensors reached --memory-limit): the
    /// run needs less at once or a larger device. Finished work and checkpoints are kept (EX_OSERR: a system resource).</summary>
    public const int OutOfMemory = 71;
    /// <summary>Reading or writing failed: permissions, a full disk, a broken network download.</summary>
    public const int IoError = 74;
    /// <summary>The run folder is busy (jobs of an earlier submission still queued or running): try again later.</summary>
    public const int TempFail = 75;
    /// <summary>Interrupted (Ctrl+C); long commands keep checkpoints and resume on the next run.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a failure, and whether it is internal (reported as such, with the exception type).</summary>
    public static (int Code, bool Internal) For(Exception e) => e switch
    {
        OperationCanceledException => (Interrupted, false),
        CliException => (UsageError, false),
        DDist.Pipeline.Executors.SchedulerException => (Unavailable, false),
        DDist.Pipeline.Executors.RunFolderBusyException => (TempFail, false),
        RecipeException or InvalidDataException or FormatException or JsonException or DistillationDivergedException
            or Training.TrainingDivergedException => (DataError, false),
        FileNotFoundException or DirectoryNotFoundException => (NoInput, false),
        UnauthorizedAccessException or IOException or System.Net.Http.HttpRequestException => (IoError, false),
        ArgumentException or NotSupportedException when !ThrownByTheFramework(e) => (UsageError, false),
        DistillationOutOfMemoryException or TorchException { IsOutOfMemory: true } => (OutOfMemory, false),
        TorchException => (InternalError, true),
        _ => (InternalError, true),
    };

    /// <summary>DDist throws ArgumentException and NotSupportedException for values the user gave (an unknown model
    /// name, an out-of-range option); .NET throws them when DDist misuses it (a duplicate dictionary key), which is a
    /// bug, not a usage error. The method that threw tells them apart; an exception never thrown (no method) counts as
    /// DDist's.</summary>
    private static bool ThrownByTheFramework(Exception e) =>
        e.TargetSite?.DeclaringType?.Assembly.GetName().Name is { } assembly && !assembly.StartsWith("DDist", StringComparison.Ordinal);
}
