namespace DDist.Training.Experts;

/// <summary>Which experts this process trains: those with index k where k mod Count = Index ("--shard i/n").
/// Every expert's seed depends only on (run seed, k), so splitting work into shards changes no result.</summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public static ShardSpec All => new(0, 1);

    public bool Contains(int expert) => expert % Count == Index;

    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var i) || !int.TryParse(parts[1], out var n))
            throw new FormatException($"shard '{text}': expected i/n, e.g. 0/4");
        if (n < 1 || i < 0 || i >= n)
            throw new FormatException($"shard '{text}': need n ≥ 1 and 0 ≤ i < n");
        return new ShardSpec(i, n);
    }

    public override string ToString() => $"{Index}/{Count}";
}
