namespace DDist;

/// <summary>What long-running library code reports through IProgress&lt;ProgressReport&gt;. The library never
/// writes to the console; the command line renders these (rate, ETA, loss, accuracy) and tests ignore them.</summary>
/// <param name="Stage">Short name of the stage, e.g. "expert 3/10" or "distill".</param>
/// <param name="Done">Units of work finished (steps, epochs, iterations).</param>
/// <param name="Total">Units of work in the stage.</param>
/// <param name="Metrics">Current values worth showing, e.g. {"loss": 0.41, "acc": 0.83}.</param>
public sealed record ProgressReport(string Stage, long Done, long Total, IReadOnlyDictionary<string, double>? Metrics = null);
