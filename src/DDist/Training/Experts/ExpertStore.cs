using System.Text.RegularExpressions;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Training.Experts;

/// <summary>One finished expert in an <see cref="ExpertStore"/>.</summary>
public sealed record ExpertRecord(int Index, string TensorPath, ExpertMetadata Metadata)
{
    public int Epochs => Metadata.Config.Epochs;
}

/// <summary>The finished experts of a directory written by <see cref="ExpertTrainer"/>. Parameters are read
/// one snapshot at a time from disk (a trajectory set is gigabytes; only the two snapshots a matching step
/// needs are ever in memory).</summary>
public sealed partial class ExpertStore
{
    public string Directory { get; }
    /// <summary>Finished experts in index order (unfinished ones — no .json yet — are left out).</summary>
    public IReadOnlyList<ExpertRecord> Experts { get; }
    public int Count => Experts.Count;
    /// <summary>The shared config of all experts (Index and Seed are those of the first).</summary>
    public ExpertConfig Config => Experts[0].Metadata.Config;

    private ExpertStore(string directory, IReadOnlyList<ExpertRecord> experts)
    {
        Directory = directory;
        Experts = experts;
    }

    /// <summary>Lists DIR/expert_NNNN.safetensors with their .json; throws when there is none, or when experts
    /// of different settings (dataset, model, epochs, ...) share the directory.</summary>
    public static ExpertStore Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: no such expert directory");
        var experts = new List<ExpertRecord>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "expert_*.safetensors"))
        {
            var m = FileNameRe().Match(Path.GetFileName(path));
            var json = Path.ChangeExtension(path, ".json");
            if (!m.Success || !File.Exists(json)) continue;
            var meta = ExpertMetadata.Load(json);
            int index = int.Parse(m.Groups[1].Value);
            if (meta.Config.Index != index)
                throw new InvalidDataException($"{json}: field 'config.index' is {meta.Config.Index}, the file name says {index}");
            experts.Add(new ExpertRecord(index, path, meta));
        }
        if (experts.Count == 0)
            throw new InvalidDataException($"{directory}: no finished experts (expert_NNNN.safetensors with its .json); run `ddist experts` first");
        experts.Sort((a, b) => a.Index.CompareTo(b.Index));
        var first = experts[0];
        foreach (var e in experts.Skip(1))
            if (ExpertMetadata.FirstDifference(first.Metadata.Config, e.Metadata.Config, "index", "seed") is { } diff)
                throw new InvalidDataException($"{directory}: {Path.GetFileName(first.TensorPath)} and {Path.GetFileName(e.TensorPath)} " +
                                               $"were trained with different settings ({diff})");
        return new ExpertStore(directory, experts);
    }

    /// <summary>The flat float32 parameter vector of expert number <paramref name="position"/> (0..Count−1, in
    /// index order) after <paramref name="epoch"/> epochs (0 = initialisation), as a new CPU tensor.</summary>
    public Tensor ReadEpoch(int position, int epoch)
    {
        if (position < 0 || position >= Count)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"{Directory} holds {Count} experts");
        return ReadEpoch(Experts[position], epoch);
    }

    public static Tensor ReadEpoch(ExpertRecord expert, int epoch)
    {
        if (epoch < 0 || epoch > expert.Epochs)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"{expert.TensorPath} has epochs 0..{expert.Epochs}");
        using var file = SafeTensorsFile.Open(expert.TensorPath);
        var name = $"epoch_{epoch:D3}";
        if (!file.Contains(name)) throw new InvalidDataException($"{expert.TensorPath}: tensor '{name}' missing");
        var info = file.Info(name);
        if (info.DType != DType.Float32 || info.Shape.Length != 1 || info.Shape[0] != expert.Metadata.Config.ParameterCount)
            throw new InvalidDataException($"{expert.TensorPath}: tensor '{name}' is {info.DType} [{string.Join(",", info.Shape)}], " +
                                           $"expected Float32 [{expert.Metadata.Config.ParameterCount}]");
        return file.Read(name);
    }

    /// <summary>Writes expert <paramref name="index"/>: its snapshots as "epoch_000" … (flat float32 vectors) with the
    /// metadata inside, then the metadata beside it (each file atomically; the .json last, as it marks the expert finished).</summary>
    public static void Keep(string directory, int index, IReadOnlyList<Tensor> snapshots, ExpertMetadata metadata)
    {
        var path = Path.Combine(directory, ExpertTrainer.ExpertFileName(index));
        var json = metadata.ToJson();
        SafeTensors.Save(path, snapshots.Select((t, e) => new KeyValuePair<string, Tensor>($"epoch_{e:D3}", t)),
                         new Dictionary<string, string> { ["format"] = ExpertMetadata.FormatName, ["ddist"] = json });
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), json);
    }

    [GeneratedRegex(@"^expert_(\d+)\.safetensors$")] private static partial Regex FileNameRe();
}
