namespace DDist.Pipeline.Executors;

/// <summary>How `ddist run --executor slurm` asks for resources; null fields are left to the cluster's defaults.</summary>
public sealed record SlurmOptions
{
    public string? Partition { get; init; }
    public int? GpusPerTask { get; init; }
    public string? Time { get; init; }
    public string? Account { get; init; }
    /// <summary>At most this many tasks of one array run at once (`--array=…%K`).</summary>
    public int? MaxParallel { get; init; }
    /// <summary>CPUs per task; each task runs libtorch with this many threads.</summary>
    public int CpusPerTask { get; init; } = 1;
    /// <summary>Passed to sbatch as they are, after ours (e.g. --mem=32G, --qos=long, --constraint=a100).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
    /// <summary>Arguments of every task's command line after the unit, recipe, folder and task (seed, device).</summary>
    public IReadOnlyList<string> TaskArguments { get; init; } = [];

    public void Validate()
    {
        if (GpusPerTask is < 0) throw new ArgumentException($"--gpus-per-task {GpusPerTask}: must be 0 or more");
        if (MaxParallel is < 1) throw new ArgumentException($"--max-parallel {MaxParallel}: must be at least 1");
        if (CpusPerTask < 1) throw new ArgumentException($"--cpus-per-task {CpusPerTask}: must be at least 1");
        if (Partition is { Length: 0 }) throw new ArgumentException("--partition: empty name");
    }
}
