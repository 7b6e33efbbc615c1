using DDist.Data;
using DDist.Distillation;
using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>Expert trajectories held in memory, made by really training a network (plain SGD, a few steps per "epoch").</summary>
internal sealed class InMemoryTrajectories : IExpertTrajectories, IDisposable
{
    private readonly List<List<Tensor>> _snapshots = new();
    public int ExpertCount => _snapshots.Count;
    public int EpochCount => _snapshots[0].Count - 1;
    public int Reads { get; private set; }
    /// <summary>Reads after this many return NaN parameters (to provoke divergence).</summary>
    public int? PoisonAfterReads { get; set; }

    public Tensor Read(int expert, int epoch)
    {
        Reads++;
        var t = _snapshots[expert][epoch].Clone();
        if (PoisonAfterReads is int p && Reads > p) t = t * double.NaN;
        return t;
    }

    public static InMemoryTrajectories Train(INetwork net, ImageDataset data, int experts, int epochs, int stepsPerEpoch, double lr, ulong seed)
    {
        var r = new InMemoryTrajectories();
        Tensors.ManualSeed(seed);
        for (int e = 0; e < experts; e++)
        {
            var theta = net.InitParameters().DetachFromScope();
            var list = new List<Tensor> { theta.Clone().DetachFromScope() };
            for (int ep = 0; ep < epochs; ep++)
            {
                for (int s = 0; s < stepsPerEpoch; s++)
                {
                    using var scope = new TensorScope();
                    var p = theta.Detach().RequiresGrad_();
                    var loss = Functional.CrossEntropy(net.Forward(data.Images, p, null, true), data.Labels);
                    var g = Autograd.Grad(loss, p);
                    using var noGrad = Tensors.NoGrad();
                    theta.AddInPlace(g, -lr);
                }
                list.Add(theta.Clone().DetachFromScope());
            }
            theta.Dispose();
            r._snapshots.Add(list);
        }
        return r;
    }

    public void Dispose()
    {
        foreach (var l in _snapshots) foreach (var t in l) t.Dispose();
    }
}
