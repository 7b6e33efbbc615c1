using System.CommandLine;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Cli.Commands;

/// <summary>The options that say how experts train (`ddist experts`) or trained (`ddist import-experts`, where a
/// buffer holds parameters only): a preset and what changes it.</summary>
public sealed class ExpertSettingsOptions
{
    private readonly Option<string> _preset = new("--preset") { Description = "sel (ConvNetBN, no aug, 100 epochs), mtt (ConvNet, DSA, 50 epochs) or datm (mtt's with 100 epochs and GSAM ρ 0.01, α 0.3)", DefaultValueFactory = _ => "mtt" };
    private readonly Option<string?> _model = CommonOptions.Model("the preset's");
    private readonly Option<double?> _lr = CommonOptions.Lr("0.01");
    private readonly Option<int?> _batch = CommonOptions.Batch("256");
    private readonly Option<string?> _aug = CommonOptions.Aug("none or dsa", "the preset's");
    private readonly Option<double?> _momentum = new("--momentum") { Description = "SGD momentum; default 0 (buffer.py's --mom)" };
    private readonly Option<double?> _weightDecay = new("--weight-decay") { Description = "SGD weight decay; default 0 (buffer.py's --l2)" };
    private readonly Option<bool> _decay = new("--decay") { Description = "lr ×0.1 after epoch ⌊E/2⌋+1 (MTT's --decay)" };
    private readonly Option<double?> _gsamRho = new("--gsam-rho")
    {
        Description = "Train with GSAM over SGD (FTD's flat trajectories, DATM's buffer_FTD.py) at this radius ρ (0.01 in FTD's and DATM's commands); default: the preset's (datm: 0.01, others: plain SGD)",
    };
    private readonly Option<double?> _gsamAlpha = new("--gsam-alpha") { Description = "GSAM's α (surrogate-gap ascent); default 0.3, DATM's command" };
    private readonly Option<bool> _gsamPlain = new("--gsam-plain") { Description = "GSAM's plain perturbation ρ·g/‖g‖ instead of the adaptive (ASAM) one buffer_FTD.py uses" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _preset, _model, _lr, _batch, _aug, _momentum, _weightDecay, _decay, _gsamRho, _gsamAlpha, _gsamPlain })
            command.Options.Add(option);
    }

    /// <summary>The preset for images of <paramref name="imageSize"/> pixels with what the options change.</summary>
    public ExpertOptions Resolve(ParseResult parse, int imageSize, ulong seed)
    {
        var p = ExpertOptions.Preset(parse.GetValue(_preset)!, imageSize);
        return p with
        {
            Model = parse.GetValue(_model) ?? p.Model,
            LearningRate = CommonOptions.PositiveReal(parse.GetValue(_lr), p.LearningRate, "--lr"),
            BatchSize = CommonOptions.Positive(parse.GetValue(_batch), p.BatchSize, "--batch"),
            Momentum = parse.GetValue(_momentum) ?? p.Momentum,
            WeightDecay = parse.GetValue(_weightDecay) ?? p.WeightDecay,
            Decay = parse.GetValue(_decay),
            Augmentation = parse.GetValue(_aug) is { } a ? Augmentation.Parse(a) : p.Augmentation,
            Seed = seed,
            Sharpness = Gsam(parse.GetValue(_gsamRho), parse.GetValue(_gsamAlpha), parse.GetValue(_gsamPlain), p.Sharpness),
        };
    }

    /// <summary>The preset's GSAM with what the options change; any GSAM option without a radius from either is refused.</summary>
    private static SharpnessAware? Gsam(double? rho, double? alpha, bool plain, SharpnessAware? preset)
    {
        if (rho is null && preset is null)
        {
            if (alpha is not null || plain) throw new CliException("--gsam-alpha and --gsam-plain need --gsam-rho (or --preset datm): without a radius the experts train with plain SGD");
            return null;
        }
        var g = new SharpnessAware
        {
            Rho = rho ?? preset!.Rho, Alpha = alpha ?? preset?.Alpha ?? 0.3, Adaptive = !plain && (preset?.Adaptive ?? true),
        };
        if (g.Invalid() is var (setting, rule)) throw new CliException($"--gsam-{setting}: {rule}");
        return g;
    }

    /// <summary>", GSAM ρ …" for a summary line; empty for plain SGD.</summary>
    public static string GsamText(SharpnessAware? g) => g is null ? "" : ", " + g.Describe();
}
