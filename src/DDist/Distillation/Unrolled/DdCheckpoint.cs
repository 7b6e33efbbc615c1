using System.Globalization;
using System.Text.Json;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Distillation.Unrolled;

/// <summary>Everything a DD / SLD run needs to continue bit for bit: the learned tensors, Adam's moments, where in the
/// real-data pass it stopped (pass, offset and that pass's permutation), the loss curve and libtorch's generator.</summary>
internal static class DdCheckpoint
{
    /// <param name="Seconds">The run's time up to this checkpoint, over every process that worked on it.</param>
    public sealed record State(int Iteration, int Pass, long Offset, Tensor Perm, int AdamSteps, IReadOnlyList<LossPoint> Curve, double Seconds);

    public static string FileIn(string dir) => Path.Combine(dir, "checkpoint.safetensors");

    /// <param name="total">The iterations the whole run makes (kept for `ddist status`; resuming does not read it).</param>
    public static void Save(string dir, string fingerprint, IReadOnlyList<Tensor> learned, Training.Adam adam, State s, long total)
    {
        using var scope = new TensorScope();
        var t = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < learned.Count; i++) t.Add(new($"learned.{i}", learned[i].Detach()));
        for (int i = 0; i < adam.Moments.Count; i++)
        {
            t.Add(new($"adam.m.{i}", adam.Moments[i].M));
            t.Add(new($"adam.v.{i}", adam.Moments[i].V));
        }
        t.Add(new("perm", s.Perm));
        using var rng = RngSnapshot.Take(learned[0].Device);
        t.AddRange(rng.Entries("rng"));
        var meta = new Dictionary<string, string>
        {
            ["fingerprint"] = fingerprint, ["iteration"] = Inv(s.Iteration), ["iterations"] = Inv(total), ["pass"] = Inv(s.Pass), ["offset"] = Inv(s.Offset),
            ["adam_steps"] = Inv(s.AdamSteps), ["learned"] = Inv(learned.Count), ["curve"] = JsonSerializer.Serialize(s.Curve),
            ["seconds"] = s.Seconds.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(FileIn(dir), t, meta);
    }

    /// <summary>Restores into <paramref name="learned"/> and <paramref name="adam"/>; null when there is no checkpoint.</summary>
    public static State? Restore(string dir, string fingerprint, IReadOnlyList<Tensor> learned, Training.Adam adam)
    {
        var path = FileIn(dir);
        if (!File.Exists(path)) return null;
        var (t, meta) = SafeTensors.Load(path);
        string Need(string k) => meta.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: metadata field '{k}' missing");
        if (Need("fingerprint") != fingerprint)
            throw new InvalidDataException($"{path}: field 'fingerprint' is '{Need("fingerprint")}', this run is '{fingerprint}'; use another output directory");
        if (int.Parse(Need("learned"), CultureInfo.InvariantCulture) != learned.Count)
            throw new InvalidDataException($"{path}: field 'learned' is {Need("learned")}, this run learns {learned.Count} tensors");
        using (Tensors.NoGrad())
            for (int i = 0; i < learned.Count; i++) learned[i].CopyFrom(t[$"learned.{i}"]);
        var moments = new List<(Tensor, Tensor)>();
        for (int i = 0; t.ContainsKey($"adam.m.{i}"); i++) moments.Add((t[$"adam.m.{i}"], t[$"adam.v.{i}"]));
        int steps = int.Parse(Need("adam_steps"), CultureInfo.InvariantCulture);
        adam.Load(moments, steps);
        RngSnapshot.RestoreCheckpoint(t["rng"], t.GetValueOrDefault(RngSnapshot.DeviceEntry("rng")), learned[0].Device);
        var curve = JsonSerializer.Deserialize<List<LossPoint>>(Need("curve")) ?? [];
        foreach (var (k, v) in t) if (k != "perm") v.Dispose();
        return new State(int.Parse(Need("iteration"), CultureInfo.InvariantCulture), int.Parse(Need("pass"), CultureInfo.InvariantCulture),
                         long.Parse(Need("offset"), CultureInfo.InvariantCulture), t["perm"].DetachFromScope(), steps, curve,
                         // Checkpoints written before DDist kept the time have none: their processes' time is lost.
                         meta.TryGetValue("seconds", out var seconds) ? double.Parse(seconds, CultureInfo.InvariantCulture) : 0);
    }

    private static string Inv(long v) => v.ToString(CultureInfo.InvariantCulture);
}
