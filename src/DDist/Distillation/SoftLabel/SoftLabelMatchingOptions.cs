using System.Globalization;

namespace DDist.Distillation.SoftLabel;

/// <summary>Where the synthetic labels of trajectory matching come from.</summary>
public enum LabelSource
{
    /// <summary>DATM: logits initialised from the experts, learned with SGD(lr_y, momentum); targets softmax(ŷ).</summary>
    Learned,
    /// <summary>TESLA: every iteration, softmax of the target expert θ*'s logits on the current images; not learned.</summary>
    Teacher,
}

/// <summary>What DATM (Guo et al. 2024) and TESLA's teacher labels add on top of MTT's options.</summary>
public sealed record SoftLabelMatchingOptions
{
    public LabelSource Labels { get; init; } = LabelSource.Learned;
    /// <summary>lr_y of the label SGD (DATM configs: 2, 5 or 10).</summary>
    public double LrY { get; init; } = 2;
    /// <summary>Momentum_y (0.9).</summary>
    public double MomentumY { get; init; } = 0.9;
    /// <summary>The images, α and labels step only when the matching loss is at most this (1.0; 1.1 for CIFAR-10 IPC 1).</summary>
    public double Threshold { get; init; } = 1.0;
    public required MatchingRange Range { get; init; }
    /// <summary>Initialise the label logits from expert 0 alone (DATM does so with `pix_init real`) instead of
    /// averaging over every expert that classifies the image correctly.</summary>
    public bool FirstExpertLabels { get; init; }
    /// <summary>Expert snapshot the labels come from (`Label_Model_Timestamp`; −1 = the last).</summary>
    public int LabelEpoch { get; init; } = -1;

    public List<string> Check(int expertEpochs, int matchEpochs)
    {
        var e = new FieldErrors();
        Check(e, expertEpochs, matchEpochs);
        return [.. e.All];
    }

    /// <summary>Every problem, named under the errors' section (a DATM recipe's `matching`, whose field names these
    /// are); <paramref name="matchEpochs"/> is the matching's expertEpochs.</summary>
    public void Check(FieldErrors e, int expertEpochs, int matchEpochs)
    {
        Range.Check(e, expertEpochs, matchEpochs);
        e.Need(LrY > 0, "lrY", $"is {LrY}, expected > 0");
        e.Need(MomentumY is >= 0 and < 1, "momentumY", $"is {MomentumY}, expected in [0, 1)");
        e.Need(Threshold > 0, "threshold", $"is {Threshold}, expected > 0");
        e.Need(LabelEpoch >= -1 && LabelEpoch <= expertEpochs, "labelEpoch", $"is {LabelEpoch}, expected −1 or 0..{expertEpochs}");
    }

    public string Fingerprint() => string.Create(CultureInfo.InvariantCulture,
        $"{Labels}|lry={LrY:R}|my={MomentumY:R}|thr={Threshold:R}|range={Range.Min}-{Range.Max}:{Range.Sequential}:{Range.CurrentMax}:{Range.ExpansionEnd}|le={LabelEpoch}|first={FirstExpertLabels}");
}
