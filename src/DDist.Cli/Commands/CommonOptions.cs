using System.CommandLine;

namespace DDist.Cli.Commands;

/// <summary>Options several commands share, so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Dataset(bool required = true) => new("--dataset", "-d")
    {
        Description = "mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet or folder:PATH", Required = required,
    };

    public static Option<string?> Model(string? defaultText = null) => new("--model", "-m")
    {
        Description = "Network name (see `ddist models`), e.g. ConvNet, ConvNetBN, ResNet18BN, ConvNet(width=32)"
                      + (defaultText is null ? "" : $"; default {defaultText}"),
    };

    public static Option<int?> Epochs(string defaultText) => new("--epochs") { Description = $"Training epochs; default {defaultText}" };
    public static Option<double?> Lr(string defaultText) => new("--lr") { Description = $"Learning rate; default {defaultText}" };
    public static Option<int?> Batch(string defaultText) => new("--batch") { Description = $"Minibatch size; default {defaultText}" };

    public static Option<string?> Aug(string choices, string defaultText) => new("--aug")
    {
        Description = $"Training augmentation: {choices}; default {defaultText}",
    };

    public static int Positive(int? value, int fallback, string option) =>
        (value ?? fallback) is var v && v >= 1 ? v : throw new CliException($"{option} {v}: must be at least 1");

    public static double PositiveReal(double? value, double fallback, string option) =>
        (value ?? fallback) is var v && v > 0 && double.IsFinite(v) ? v : throw new CliException($"{option} {v}: must be a positive number");
}
