using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation.SoftLabel;
using DDist.Models;
using DDist.Torch;
using DDist.Training.Experts;

namespace DDist.Evaluation;

/// <summary>The teacher that labels a soft-label set's random sets: experts' final epochs (trained on the set's
/// dataset, in its space), their logits averaged as DD-Ranking averages its teacher models'.</summary>
public sealed class RankingTeacher : IDisposable
{
    private readonly INetwork _net;
    private readonly List<Tensor> _thetas;
    private readonly Device _device;
    public string Name { get; }

    private RankingTeacher(INetwork net, List<Tensor> thetas, Device device, string name) => (_net, _thetas, _device, Name) = (net, thetas, device, name);

    public static RankingTeacher Open(string dir, SmallSet set, ImageDataset train, Device device)
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
        // The name carries a digest of the parameters, so random sets labelled by other experts in the same folder
        // (retrained since) never pass for these in kept results.
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in store.Experts)
        {
            using var scope = new TensorScope();
            var theta = ExpertStore.ReadEpoch(e, e.Epochs);
            digest.AppendData(MemoryMarshal.AsBytes(theta.To(DType.Float32, Device.Cpu).ToArray<float>().AsSpan()));
            thetas.Add(theta.To(device).DetachFromScope());
        }
        var parameters = Convert.ToHexStringLower(digest.GetHashAndReset())[..12];
        return new RankingTeacher(net, thetas, device, $"mean logits of {thetas.Count} {c.Model} expert(s) after {c.Epochs} epochs ({Path.GetFullPath(dir)}, parameters {parameters})");
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
