namespace DDist.Distillation.Unrolling;

/// <summary>How <see cref="UnrolledGradient"/> differentiates a loss through N inner SGD steps.</summary>
public enum UnrollMode
{
    /// <summary>Keep every step's second-order graph (createGraph) and back-propagate once, as the MTT reference
    /// code does. Memory grows with N (every step's activations).</summary>
    Full,
    /// <summary>Exact reverse mode with recomputation: the forward keeps only θ_i per step (plus its batch and the
    /// generator state its augmentation drew from), the reverse walk rebuilds one step's graph at a time and carries
    /// the adjoint λ_i = ∂L/∂θ_i back with one double backward per step. Same gradient as <see cref="Full"/> up to
    /// round-off; activation memory of one step, plus N parameter vectors.</summary>
    Exact,
    /// <summary>APPROXIMATE: TESLA's memory-saving gradient (Cui et al. 2023, <c>distill.py</c>): every step's
    /// contribution uses the terminal adjoint λ_N in place of λ_{i+1}, i.e. the later steps' Hessian terms are
    /// dropped. Exact only for one step; outputs made with it are labelled approximate.</summary>
    Tesla,
}

public static class UnrollModes
{
    /// <summary>The recipe / command-line spelling: "full", "exact", "tesla".</summary>
    public static string Name(UnrollMode m) => m switch
    {
        UnrollMode.Full => "full",
        UnrollMode.Exact => "exact",
        UnrollMode.Tesla => "tesla",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "unknown unroll mode"),
    };

    public static bool TryParse(string? s, out UnrollMode mode)
    {
        switch (s?.Trim().ToLowerInvariant())
        {
            case "full": mode = UnrollMode.Full; return true;
            case "exact": mode = UnrollMode.Exact; return true;
            case "tesla": mode = UnrollMode.Tesla; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>Parses a recipe or command-line value; the error names where the value came from.</summary>
    public static UnrollMode Parse(string? s, string field) =>
        TryParse(s, out var m) ? m : throw new ArgumentException($"field '{field}' is '{s}', expected one of full, exact, tesla");

    /// <summary>A recipe section's unroll field: the mode it names, or <see cref="DefaultFor"/> its synSteps when null.</summary>
    public static UnrollMode FromRecipe(string? text, int synSteps, string field) => text is null ? DefaultFor(synSteps) : Parse(text, field);

    /// <summary>The mode a recipe gets when it names none: full unrolling up to <see cref="ExactFromSteps"/> − 1
    /// student steps, exact recomputation from there on. See <see cref="ExactFromSteps"/> for the measurement.</summary>
    public static UnrollMode DefaultFor(int synSteps) => synSteps >= ExactFromSteps ? UnrollMode.Exact : UnrollMode.Full;

    /// <summary>Measured with <c>bench/run.sh --cases mtt-iteration --mtt-configs w32</c> (ConvNetW32, 300 images
    /// 1×28×28, batch 100, on a busy 2-core CPU): full unrolling peaks at 2.5–3.1 GiB for 20 steps (about 115 MiB more
    /// per step), exact recomputation at 0.53 GiB for 10 steps and 0.58 GiB for 20 and 80 (flat in N: one θ_i is 94 KiB),
    /// for 1.3× the time on one thread (a forward pass of 1.3 s on top of full unrolling's 5.0 s) and 1.1–1.6× in noisy
    /// wall-clock runs. Below 10 steps (the CPU recipes' 5) full unrolling's memory is small and its speed wins; from
    /// 10 on (the published recipes' 20 and 55, where ConvNet-128 would need tens of GiB) exact recomputation.</summary>
    public const int ExactFromSteps = 10;

    /// <summary>Whether the mode computes the true gradient (Full and Exact) or an approximation (Tesla).</summary>
    public static bool IsExact(UnrollMode m) => m != UnrollMode.Tesla;
}
