using System.Text.Json;
using DDist.Torch.IO;

namespace DDist.Pipeline.Executors;

/// <summary>DIR/slurm/jobs.json: every submission into a run folder, with the job id of each unit and the tasks it
/// was asked to run. Rewritten atomically after every sbatch, so a submission that fails half-way is still recorded.</summary>
public sealed class SlurmJobs
{
    public const string FileName = "jobs.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The recipe file the tasks run (absolute path), so `ddist status` can rebuild the plan.</summary>
    public string RecipePath { get; set; } = "";
    public List<Submission> Submissions { get; set; } = new();

    public sealed record Submission(DateTime SubmittedAt, List<Job> Jobs, List<string> CancelledStranded);
    public sealed record Job(string Unit, string JobId, int[] Tasks, string[] After, string Script);

    public IEnumerable<string> AllJobIds() => Submissions.SelectMany(s => s.Jobs).Select(j => j.JobId);

    /// <summary>The job most recently submitted for a unit, or null.</summary>
    public Job? LatestFor(string unit) => Submissions.SelectMany(s => s.Jobs).LastOrDefault(j => j.Unit == unit);

    public static string PathIn(string outDir) => Path.Combine(outDir, "slurm", FileName);

    public static SlurmJobs? TryLoad(string outDir)
    {
        var path = PathIn(outDir);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SlurmJobs>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a jobs file ({e.Message})"); }
    }

    public void Save(string outDir) => AtomicFile.WriteAllText(PathIn(outDir), JsonSerializer.Serialize(this, Json));
}
