using System.CommandLine;
using System.Globalization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation.SoftLabel;
using DDist.Evaluation;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training.Experts;

namespace DDist.Cli.Commands;

/// <summary>`ddist rank SET`: DD-Ranking's label-robust and augmentation-robust scores of a small set (Li et al. 2025),
/// which judge a set by its lead over random real images of the same size under the same evaluation rather than by
/// its accuracy alone (<see cref="RankingEvaluation"/>).</summary>
public static class RankCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var setPath = new Argument<string>("SET") { Description = "A small set (.safetensors) written by `ddist select`, `ddist distill`, `ddist run` or `ddist import-set`" };
        var protocol = new Option<string>("--protocol")
        {
            Description = "sel, mtt or dc: the evaluation every set trains under, as `ddist eval` (default dc: one augmentation for real and distilled images alike); its networks are the rounds",
            DefaultValueFactory = _ => "dc",
        };
        var eval = new EvalOptions();
        var full = new Option<double?>("--full-accuracy") { Description = "The full training set's test accuracy in percent (the evaluation's model, hard labels); without it one whole-data network is trained" };
        var fullEpochs = new Option<int>("--full-epochs") { Description = "Epochs of that whole-data network, counted as --epochs (it trains epochs+1; lr 0.01 step decay, batch 256, no augmentation)", DefaultValueFactory = _ => 30 };
        var teacher = new Option<string?>("--teacher") { Description = "An experts folder (`ddist experts`): the mean logits of their final epochs label the random sets of a soft-label set, as DD-Ranking's teacher models do" };
        var labelWeight = new Option<double>("--lrs-weight") { Description = "w of the label-robust score, α = w·IOR − (1 − w)·HLR", DefaultValueFactory = _ => 0.5 };
        var augWeight = new Option<double>("--ars-weight") { Description = "γ of the augmentation-robust score, β = γ·(gain with augmentation) + (1 − γ)·(gain without)", DefaultValueFactory = _ => 0.5 };
        var cmd = new Command("rank", "DD-Ranking's scores of a small set: its lead over random real images of the same size, its labels' and augmentation's share set apart")
        {
            setPath, protocol, full, fullEpochs, teacher, labelWeight, augWeight,
        };
        eval.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(setPath)!;
            InputFile.Require(path, "small-set file");
            var outPath = ctx.OutFile();
            var fullAccuracy = parse.GetValue(full) is double f
                ? (f > 1 && f <= 100 ? f / 100 : throw new CliException($"--full-accuracy {f.ToString(CultureInfo.InvariantCulture)}: expected a percentage in (1, 100], e.g. 91.5"))
                : (double?)null;
            if (fullAccuracy is not null && parse.GetResult(fullEpochs) is { Implicit: false })
                throw new CliException("--full-epochs: applies when the full training set's accuracy is trained, not given with --full-accuracy");
            int wholeEpochs = NonNegative(parse.GetValue(fullEpochs), "--full-epochs");
            var (w, gamma) = (Weight(parse.GetValue(labelWeight), "--lrs-weight"), Weight(parse.GetValue(augWeight), "--ars-weight"));
            using var set = SmallSet.Load(path);
            using var zca = set.Zca is null ? null : ZcaTransform.FromTensors(set.Zca, ctx.Device);
            using var data = EvalCommand.DataOf(path, set, ctx, zca);
            var name = parse.GetValue(protocol)!;
            if (name.Trim().Equals("steps", StringComparison.OrdinalIgnoreCase))
                throw new CliException("--protocol steps: a set's learned steps train no random set; rank it with sel, mtt or dc");
            var preset = EvalCommand.Preset(name, set, ctx);
            var p = eval.Apply(parse, preset with { AugmentOptions = Augment.AugmentOptions.ForDataset(data.Name, preset.AugmentOptions.Dsa) });
            var teacherDir = parse.GetValue(teacher);
            if (set.SoftLabels is null && teacherDir is not null) throw new CliException($"--teacher: {path} has no soft labels, so its random sets train on their classes");
            if (set.SoftLabels is not null && teacherDir is null)
                throw new CliException($"--teacher: {path} has soft labels; its random sets need a teacher's (an experts folder, as `ddist experts` writes)");
            using var labeller = teacherDir is null ? null : Teacher.Open(teacherDir, set, data.Train, ctx.Device);

            var learned = p.ForSet(set).LearningRate is var own && own != p.LearningRate
                ? $"; the set trains at its learned step size {own.ToString("G4", CultureInfo.InvariantCulture)}, random sets at the protocol's" : "";
            ctx.Note($"rank {path}: {set.Count} images of {data.Name} against random sets of the same size, {p.Networks} round(s); protocol {p.Name}: {EvalOptions.Summary(p)}{learned}");
            var request = new RankingRequest
            {
                Set = set, Train = data.Train, Test = data.Test, Protocol = p, Seed = ctx.Seed, FullAccuracy = fullAccuracy,
                FullEpochs = wholeEpochs, Teacher = labeller is null ? null : labeller.Logits, TeacherName = labeller?.Name ?? "teacher",
                LabelWeight = w, AugmentationWeight = gamma,
                Folder = outPath is null ? null : outPath + ".partial", Log = ctx.Note,
            };
            var r = ProgressView.Run(ctx, pr => RankingEvaluation.Run(request, pr, ctx.Cancel));
            var json = RankingJson.Of(path, set, data.Name, p, request, r);
            if (outPath is not null)
            {
                ctx.SaveJson(outPath, json);
                if (Directory.Exists(request.Folder)) Directory.Delete(request.Folder, recursive: true);
            }
            ctx.WriteResult(json, o => RankingJson.WriteTable(o, path, r, request));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static int NonNegative(int value, string option) => value >= 0 ? value : throw new CliException($"{option} {value}: must be ≥ 0");

    private static double Weight(double w, string option) =>
        w is >= 0 and <= 1 ? w : throw new CliException($"{option} {w.ToString(CultureInfo.InvariantCulture)}: expected a weight in [0, 1]");

    /// <summary>The teacher that labels a soft-label set's random sets: experts' final epochs (trained on the set's
    /// dataset, in its space), their logits averaged as DD-Ranking averages its teacher models'.</summary>
    private sealed class Teacher : IDisposable
    {
        private readonly INetwork _net;
        private readonly List<Tensor> _thetas;
        private readonly Device _device;
        public string Name { get; }

        private Teacher(INetwork net, List<Tensor> thetas, Device device, string name) => (_net, _thetas, _device, Name) = (net, thetas, device, name);

        public static Teacher Open(string dir, SmallSet set, ImageDataset train, Device device)
        {
            var store = ExpertStore.Open(dir);
            var c = store.Config;
            if (!string.Equals(c.Dataset, set.Info.Dataset, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{dir}: the experts were trained on '{c.Dataset}', the set is of '{set.Info.Dataset}'");
            if (c.Zca != (set.Zca is not null))
                throw new InvalidDataException($"{dir}: the experts were trained on {(c.Zca ? "ZCA-whitened" : "normalised")} images, the set's are {(set.Zca is null ? "normalised" : "ZCA-whitened")}");
            var net = ModelZoo.Create(c.Model, train.Channels, train.NumClasses, train.Height, train.Width);
            if (net.HasBatchNorm)
                throw new InvalidDataException($"{dir}: the experts are {c.Model}, with batch norm, whose running statistics a trajectory does not keep; a teacher needs a model without (ConvNet)");
            var thetas = new List<Tensor>();
            foreach (var e in store.Experts)
            {
                using var scope = new TensorScope();
                thetas.Add(ExpertStore.ReadEpoch(e, e.Epochs).To(device).DetachFromScope());
            }
            return new Teacher(net, thetas, device, $"mean logits of {thetas.Count} {c.Model} expert(s) after {c.Epochs} epochs ({Path.GetFullPath(dir)})");
        }

        public Tensor Logits(Tensor images)
        {
            using var scope = new TensorScope();
            var x = images.To(_device);
            Tensor? sum = null;
            foreach (var theta in _thetas)
            {
                var z = ExpertLabels.Logits(_net, theta, x);
                sum = sum is null ? z : sum + z;
            }
            return (sum! / _thetas.Count).MoveToOuterScope();
        }

        public void Dispose()
        {
            foreach (var t in _thetas) t.Dispose();
        }
    }
}
