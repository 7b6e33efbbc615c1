using System.CommandLine;
using DDist.Evaluation;
using DDist.Training;

namespace DDist.Cli.Commands;

/// <summary>The protocol overrides `train` and `eval` share: --model --epochs --lr --batch --aug --schedule --nets.</summary>
internal sealed class EvalOptions
{
    public Option<string?> Model { get; } = CommonOptions.Model("the protocol's");
    public Option<int?> Epochs { get; } = CommonOptions.Epochs("the protocol's; training runs epochs+1, as the reference");
    public Option<double?> Lr { get; } = CommonOptions.Lr("the protocol's");
    public Option<int?> Batch { get; } = CommonOptions.Batch("the protocol's");
    public Option<string?> Aug { get; } = CommonOptions.Aug("none, dsa, simple or combined", "the protocol's");
    public Option<string?> Schedule { get; } = new("--schedule") { Description = "constant, step or cosine; default the protocol's" };
    public Option<int?> Nets { get; } = new("--nets") { Description = "Number of networks trained; default the protocol's" };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Model, Epochs, Lr, Batch, Aug, Schedule, Nets }) cmd.Options.Add(o);
    }

    /// <summary>The preset with every given override applied.</summary>
    public EvalProtocol Apply(ParseResult parse, EvalProtocol preset)
    {
        return preset with
        {
            Model = parse.GetValue(Model) ?? preset.Model,
            Epochs = parse.GetValue(Epochs) is int e ? (e >= 0 ? e : throw new CliException($"--epochs {e}: must be ≥ 0")) : preset.Epochs,
            LearningRate = CommonOptions.PositiveReal(parse.GetValue(Lr), preset.LearningRate, "--lr"),
            UseLearnedLr = preset.UseLearnedLr && parse.GetValue(Lr) is null,   // an explicit --lr wins over a learned one
            BatchSize = CommonOptions.Positive(parse.GetValue(Batch), preset.BatchSize, "--batch"),
            Augmentation = parse.GetValue(Aug) is { } a ? Augmentation.Parse(a) : preset.Augmentation,
            Schedule = parse.GetValue(Schedule) is { } s ? LrSchedule.ParseKind(s) : preset.Schedule,
            Networks = CommonOptions.Positive(parse.GetValue(Nets), preset.Networks, "--nets"),
        };
    }

    /// <summary>The protocol as JSON-friendly values for results.</summary>
    public static object Describe(EvalProtocol p) => new
    {
        name = p.Name, model = p.Model, epochs = p.Epochs, trainedEpochs = p.Epochs + 1, lr = p.LearningRate, momentum = p.Momentum,
        weightDecay = p.WeightDecay, batch = p.BatchSize, schedule = p.Schedule.ToString().ToLowerInvariant(),
        aug = Augmentation.Name(p.Augmentation), dsaStrategy = p.AugmentOptions.DsaStrategy, networks = p.Networks,
    };

    public static string Summary(EvalProtocol p) =>
        $"{p.Model}, {p.Epochs + 1} epochs, lr {p.LearningRate:G4} ({p.Schedule.ToString().ToLowerInvariant()}), batch {p.BatchSize}, " +
        $"aug {Augmentation.Name(p.Augmentation)}, {p.Networks} network{(p.Networks == 1 ? "" : "s")}";
}
