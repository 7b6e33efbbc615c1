using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Distillation;

/// <summary>Checkpoints of a DC, DSA or DM run (the pattern of <see cref="DistillCheckpoint"/>): the synthetic images,
/// the image optimiser's momentum buffer, libtorch's generator, the next iteration, the loss curve and the seconds spent
/// so far, in one safetensors file written atomically. Every random draw of these methods (the real batches, DSA, each
/// iteration's fresh network, DC's inner training) comes from libtorch's CPU generator, so this state continues a run
/// to the bit-identical final set. Saved every <see cref="MatchingCheckpoints.Every"/> iterations, at the end, and when
/// the run is cancelled: then the state as the interrupted iteration began, so that iteration is redone whole.</summary>
/// <remarks>On a GPU the draws made there come from the GPU's own generator, which is saved too; whether a resumed GPU
/// run is bit-identical also depends on cuDNN choosing deterministic algorithms, which DDist does not force.</remarks>
public sealed class MatchingCheckpointer : IDisposable
{
    public const string Format = "ddist.matching-checkpoint.v1";

    private readonly MatchingCheckpoints? _where;
    private readonly string _fingerprint;
    private readonly SyntheticInit _syn;
    private readonly Sgd _opt;
    private readonly List<LossPoint> _curve;
    private readonly double _priorSeconds;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    // The state as the current iteration began (kept only while checkpointing).
    private Tensor? _images, _momentum;
    private RngSnapshot? _rng;
    private int _begunAt, _curveCount;
    private double _begunSeconds;

    /// <summary>The first iteration to run: 0, or where the checkpoint left off.</summary>
    public int Start { get; }
    /// <summary>Time spent on the run, earlier sessions included.</summary>
    public TimeSpan Elapsed => TimeSpan.FromSeconds(_priorSeconds + _clock.Elapsed.TotalSeconds);

    private MatchingCheckpointer(MatchingCheckpoints? where, string fingerprint, SyntheticInit syn, Sgd opt, List<LossPoint> curve, int start, double prior)
    {
        _where = where;
        _fingerprint = fingerprint;
        _syn = syn;
        _opt = opt;
        _curve = curve;
        Start = start;
        _priorSeconds = prior;
    }

    /// <summary>What must match for a checkpoint to be continued: the method's settings except the run length (a longer
    /// run may continue a shorter one), the network and the data.</summary>
    public static string Fingerprint<TOptions>(TOptions optionsWithoutLength, INetwork net, ClassImagePool pool)
    {
        var d = pool.Data;
        return $"{JsonSerializer.Serialize(optionsWithoutLength)}|net={net.Name}:{net.ParameterCount}" +
               $"|data={d.Name}:{d.Count}x{d.Channels}x{d.Height}x{d.Width}:{string.Join(",", Enumerable.Range(0, pool.NumClasses).Select(pool.ClassSize))}";
    }

    /// <summary>Restores <paramref name="syn"/>'s images, <paramref name="opt"/>'s buffer, the generator and the curve from
    /// <paramref name="where"/>'s checkpoint when there is one (call after the run has drawn its starting images); with
    /// <paramref name="where"/> null nothing is saved or restored.</summary>
    public static MatchingCheckpointer Open(MatchingCheckpoints? where, string fingerprint, SyntheticInit syn, Sgd opt, List<LossPoint> curve, int iterations)
    {
        if (where is null || !File.Exists(where.FilePath)) return new MatchingCheckpointer(where, fingerprint, syn, opt, curve, 0, 0);
        var path = where.FilePath;
        var (t, meta) = SafeTensors.Load(path);
        using var scope = new TensorScope();
        try
        {
            string Meta(string k) => meta.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: metadata field '{k}' missing");
            Tensor Need(string k) => t.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: tensor '{k}' missing");
            if (Meta("format") != Format) throw new InvalidDataException($"{path}: metadata field 'format' is '{Meta("format")}', expected '{Format}'");
            if (Meta("fingerprint") != fingerprint)
                throw new InvalidDataException($"{path}: field 'fingerprint' differs from this run's settings ('{Meta("fingerprint")}' against '{fingerprint}'); " +
                                               "use another output folder or delete the checkpoint");
            int next = int.Parse(Meta("next_iteration"), CultureInfo.InvariantCulture);
            if (next > iterations) throw new InvalidDataException($"{path}: field 'next_iteration' is {next}, past this run's {iterations} iterations");
            var images = Need("images");
            if (!images.Shape.SequenceEqual(syn.Images.Shape))
                throw new InvalidDataException($"{path}: tensor 'images' has shape [{string.Join(", ", images.Shape)}], this run's are [{string.Join(", ", syn.Images.Shape)}]");
            using (Tensors.NoGrad()) syn.Images.CopyFrom(images);
            opt.LoadMomentumBuffer(t.TryGetValue("image_momentum", out var m) ? m.To(syn.Images.Device) : null);
            curve.Clear();
            if (t.TryGetValue("curve_iteration", out var its))
            {
                var iters = its.ToArray<long>();
                var losses = Need("curve_loss").ToArray<double>();
                var lrs = Need("curve_lr").ToArray<double>();
                curve.AddRange(iters.Select((it, i) => new LossPoint((int)it, losses[i], lrs[i])));
            }
            RngSnapshot.RestoreCheckpoint(Need("torch_rng"), t.GetValueOrDefault(RngSnapshot.DeviceEntry("torch_rng")), syn.Images.Device);
            return new MatchingCheckpointer(where, fingerprint, syn, opt, curve, next,
                                            double.Parse(Meta("seconds"), CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var v in t.Values) v.Dispose();
        }
    }

    /// <summary>Notes the state as iteration <paramref name="it"/> begins, for <see cref="SaveBegun"/>.</summary>
    public void Begin(int it)
    {
        if (_where is null) return;
        DropBegun();
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        _images = _syn.Images.Detach().Clone().DetachFromScope();
        _momentum = _opt.MomentumBuffer?.Clone().DetachFromScope();
        _rng = RngSnapshot.Take(_syn.Images.Device);
        (_begunAt, _curveCount, _begunSeconds) = (it, _curve.Count, _priorSeconds + _clock.Elapsed.TotalSeconds);
    }

    /// <summary>Saves the state noted by <see cref="Begin"/>: the run was cancelled in the middle of that iteration.</summary>
    public void SaveBegun()
    {
        if (_where is null || _images is null) return;
        Write(_begunAt, _images, _momentum, _rng!, _curve.Take(_curveCount).ToList(), _begunSeconds);
    }

    /// <summary>After an iteration: saves every <see cref="MatchingCheckpoints.Every"/> iterations (the end has its own save).</summary>
    public void End(int next, int iterations)
    {
        if (_where is null || _where.Every <= 0 || next % _where.Every != 0 || next >= iterations) return;
        SaveNow(next);
    }

    /// <summary>The final save, so a longer run (or a repeated one) continues from here.</summary>
    public void Finish(int iterations)
    {
        if (_where is not null) SaveNow(iterations);
    }

    private void SaveNow(int next)
    {
        using var rng = RngSnapshot.Take(_syn.Images.Device);
        Write(next, _syn.Images, _opt.MomentumBuffer, rng, _curve, _priorSeconds + _clock.Elapsed.TotalSeconds);
    }

    private void Write(int next, Tensor images, Tensor? momentum, RngSnapshot rng, IReadOnlyList<LossPoint> curve, double seconds)
    {
        using var scope = new TensorScope();
        Directory.CreateDirectory(_where!.Dir);
        var t = new List<KeyValuePair<string, Tensor>>
        {
            new("images", images.Detach().To(Device.Cpu).Contiguous()),
        };
        t.AddRange(rng.Entries("torch_rng"));
        if (momentum is not null) t.Add(new("image_momentum", momentum.To(Device.Cpu).Contiguous()));
        if (curve.Count > 0)
        {
            t.Add(new("curve_iteration", Tensors.FromArray(curve.Select(p => (long)p.Iteration).ToArray())));
            t.Add(new("curve_loss", Tensors.FromArray(curve.Select(p => p.Loss).ToArray())));
            t.Add(new("curve_lr", Tensors.FromArray(curve.Select(p => p.Lr).ToArray())));
        }
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["next_iteration"] = next.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            ["fingerprint"] = _fingerprint,
        };
        SafeTensors.Save(_where.FilePath, t, meta);
    }

    private void DropBegun()
    {
        _images?.Dispose();
        _momentum?.Dispose();
        _rng?.Dispose();
        (_images, _momentum, _rng) = (null, null, null);
    }

    public void Dispose() => DropBegun();
}
