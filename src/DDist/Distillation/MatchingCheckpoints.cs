namespace DDist.Distillation;

/// <summary>Where and how often a DC, DSA or DM run saves the state it continues from.</summary>
/// <param name="Dir">The run's folder; the state is DIR/checkpoint.safetensors.</param>
/// <param name="Every">Save after every this many iterations; 0 = only when the run is cancelled and at its end.</param>
public sealed record MatchingCheckpoints(string Dir, int Every)
{
    public string FilePath => Path.Combine(Dir, "checkpoint.safetensors");

    /// <summary>A DC/DSA iteration is long (outer_loop × per-class matching plus inner training: seconds to minutes on a
    /// CPU), a DM iteration one forward-backward (about a second): both intervals lose at most a few minutes of work
    /// to a hard kill, and a checkpoint (the images, a few MB at most) costs little next to the work between two.</summary>
    public static int DefaultEvery(string method) => method == "dm" ? 100 : 10;
}
