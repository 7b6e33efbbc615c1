namespace DDist.Diagnostics;

/// <summary>One comparison of the self-test: <paramref name="MaxAbsDiff"/> between the result on the device and
/// the reference, against the allowed <paramref name="Tolerance"/> (absolute plus relative to
/// <paramref name="Scale"/>, the reference's largest magnitude). <paramref name="Error"/> holds the message when
/// the computation itself failed.</summary>
public sealed record SelfTestCheck(string Name, string Against, double MaxAbsDiff, double Scale, double Tolerance, string? Error = null)
{
    public bool Passed => Error is null && double.IsFinite(MaxAbsDiff) && MaxAbsDiff <= Tolerance;
}

/// <summary>What <see cref="DeviceSelfTest"/> found on one device.</summary>
public sealed record SelfTestReport(string Device, string TorchVersion, IReadOnlyList<SelfTestCheck> Checks, double Seconds)
{
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);
    public int FailedCount => Checks.Count(c => !c.Passed);
}
