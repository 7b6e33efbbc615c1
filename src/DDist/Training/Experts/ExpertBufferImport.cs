using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Training.Experts;

/// <summary>What to import: the replay buffers, the network they are of, and how they were trained (a buffer holds
/// parameters only, so the settings are the ones stated here, recorded as such).</summary>
public sealed record ExpertImportRequest
{
    /// <summary>torch.save files of MTT's `buffer.py` (replay_buffer_N.pt; FTD's and DATM's `buffer_FTD.py` write the
    /// same): a list of experts, each the list of its E+1 snapshots, each the list of the network's parameters().</summary>
    public required IReadOnlyList<string> Buffers { get; init; }
    /// <summary>The settings the buffers were trained with, recorded as given (the model is checked against every
    /// parameter's shape; the epochs are the buffers' own and replace <see cref="ExpertOptions.Epochs"/>).</summary>
    public required ExpertOptions Options { get; init; }
    public required ExpertDataInfo Data { get; init; }
}

/// <summary>One imported expert, as <see cref="ExpertBufferImport.Import"/> reports it.</summary>
public sealed record ImportedExpert(int Index, string Buffer, int Position, int Epochs, double? FinalTestAccuracy);

/// <summary>Turns expert trajectories trained by the reference PyTorch code into a DDist expert folder
/// (expert_NNNN.safetensors + .json), so that trajectory matching, SelMatch and DD-Ranking's teacher use them as they
/// use experts DDist trained — the GPU hours a set of buffers took are not spent again. DDist's networks lay their flat
/// parameter vector out in PyTorch's parameters() order (MTT's ReparamModule flattens the same way), so each snapshot
/// maps one to one after its shapes are checked against the network's.</summary>
public static class ExpertBufferImport
{
    public const string SourceText = "imported from PyTorch replay buffers (MTT buffer.py's format)";

    /// <param name="test">Scores each expert's last snapshot (a check that the buffers are of this network and space:
    /// a wrong normalisation or layer order scores near chance); null, or a network with batch norm, scores nothing.</param>
    public static IReadOnlyList<ImportedExpert> Import(ExpertImportRequest request, INetwork network, string directory, ImageDataset? test,
                                                       Action<string>? log = null, CancellationToken ct = default)
    {
        if (request.Buffers.Count == 0) throw new ArgumentException("no replay buffer to import");
        foreach (var buffer in request.Buffers) InputFile.Require(buffer, "replay buffer (torch.save file)");
        Directory.CreateDirectory(directory);
        int? epochs = null;   // the first expert's, which every other one must have
        ExpertTrainer? settings = null;   // what each imported expert's config records, made once the epochs are known
        bool scored = test is not null && !network.HasBatchNorm;
        var imported = new List<ImportedExpert>();
        foreach (var buffer in request.Buffers)
        {
            // Open, not Load: each expert's parameters are read from the file as it is converted and dropped after, so
            // the import holds one expert at a time, not the buffer.
            using var file = TorchSaveFile.Open(buffer);
            var experts = file.Root as ArrayList
                          ?? throw new InvalidDataException($"{buffer}: holds no list of experts; expected a replay buffer (torch.save of a list of trajectories, as buffer.py writes)");
            if (experts.Count == 0) throw new InvalidDataException($"{buffer}: the list of experts is empty");
            for (int j = 0; j < experts.Count; j++)
            {
                ct.ThrowIfCancellationRequested();
                int index = imported.Count;
                if (KeptEarlier(directory, index, buffer, j) is { } kept)
                {
                    // An interrupted import, run again: what it kept is not converted or written again.
                    epochs ??= kept.Epochs;
                    imported.Add(kept);
                    log?.Invoke($"expert {index}: {Path.GetFileName(buffer)}[{j}], kept from an earlier import");
                    continue;
                }
                var snapshots = Snapshots(buffer, j, experts[j], network, epochs);
                try
                {
                    epochs ??= snapshots.Count - 1;
                    double? accuracy = scored ? Score(network, snapshots[^1], test!) : null;
                    var metadata = new ExpertMetadata
                    {
                        Config = (settings ??= new ExpertTrainer(network, request.Options with { Epochs = epochs.Value }, request.Data)).ConfigFor(index)
                                 with { Source = SourceText, RunSeed = 0, Seed = 0 },
                        History = new ExpertHistory(),
                        Origin = new ExpertOrigin(Path.GetFullPath(buffer), j, accuracy),
                    };
                    ExpertStore.Keep(directory, index, snapshots, metadata);
                    imported.Add(new ImportedExpert(index, buffer, j, snapshots.Count - 1, accuracy));
                    log?.Invoke($"expert {index}: {Path.GetFileName(buffer)}[{j}], {snapshots.Count - 1} epochs" +
                                (accuracy is double a ? string.Create(CultureInfo.InvariantCulture, $", last snapshot {100 * a:F2} % on {test!.Count} test images") : ""));
                }
                finally
                {
                    foreach (var t in snapshots) t.Dispose();
                }
                // The expert's parameters (its storages) and snapshots are large-object arrays that only a full collection
                // frees: collecting once per expert lets the next one reuse their memory instead of touching new pages
                // (a 650 MB buffer of 10 experts read whole: 6 s and 1.4 GB at peak, against 28 s and 4.4 GB without;
                // read an expert at a time, as now: 5-7 s and 0.8 GB).
                experts[j] = null;
                GC.Collect();
            }
        }
        return imported;
    }

    /// <summary>Expert <paramref name="index"/> as an earlier run of the same import kept it (the same buffer and
    /// position); null when the folder does not hold it yet. A folder holding another expert there is refused.</summary>
    private static ImportedExpert? KeptEarlier(string directory, int index, string buffer, int position)
    {
        var json = Path.ChangeExtension(Path.Combine(directory, ExpertTrainer.ExpertFileName(index)), ".json");
        if (!File.Exists(json)) return null;
        var kept = ExpertMetadata.Load(json);
        if (kept.Config.Source is null || kept.Origin is not { } origin || origin.File != Path.GetFullPath(buffer) || origin.Position != position)
            throw new IOException($"{json}: holds another expert than {buffer}[{position}] ({(kept.Origin is { } o ? $"{o.File}[{o.Position}]" : "one DDist trained")}); " +
                                  "import into an empty folder, or give the buffers in the order of the import it holds");
        return new ImportedExpert(index, buffer, position, kept.Config.Epochs, origin.FinalTestAccuracy);
    }

    private static double Score(INetwork network, Tensor theta, ImageDataset test)
    {
        using var onDevice = theta.To(test.Images.Device);
        return Trainer.Accuracy(network, onDevice, null, test);
    }

    /// <summary>Expert <paramref name="position"/> of a buffer as flat float32 vectors, one per snapshot, every parameter
    /// checked against the network's layout; errors name the file, the expert, the snapshot and the parameter.</summary>
    /// <param name="epochs">The epochs of the experts imported before it, which a folder's experts share; null for the first.</param>
    private static List<Tensor> Snapshots(string buffer, int position, object? trajectory, INetwork network, int? epochs)
    {
        var where = $"{buffer}: expert {position}";
        if (trajectory is not ArrayList list)
            throw new InvalidDataException($"{where} is {Describe(trajectory)}, expected the list of its snapshots");
        if (list.Count < 2)
            throw new InvalidDataException($"{where} holds {list.Count} snapshot(s), expected the initialisation and at least one epoch");
        if (epochs is int e0 && list.Count != e0 + 1)
            throw new InvalidDataException($"{where} holds {list.Count} snapshots, the experts before it {e0 + 1}: experts imported together must have trained alike");
        var layout = network.Layout;
        var flat = new List<Tensor>();
        try
        {
            for (int e = 0; e < list.Count; e++)
            {
                if (list[e] is not ArrayList parameters)
                    throw new InvalidDataException($"{where}, snapshot {e} is {Describe(list[e])}, expected the list of the network's parameters");
                if (parameters.Count != layout.Count)
                    throw new InvalidDataException($"{where}, snapshot {e} holds {parameters.Count} parameter tensors; {network.Name} has {layout.Count} " +
                                                   $"({string.Join(", ", layout.Select(s => s.Name))})");
                var values = new float[network.ParameterCount];
                for (int i = 0; i < layout.Count; i++)
                {
                    var slot = layout[i];
                    if (parameters[i] is not PickledTensor t || !t.Shape.SequenceEqual(slot.Shape))
                        throw new InvalidDataException($"{where}, snapshot {e}, parameter {i} is {Describe(parameters[i])}; {network.Name}'s " +
                                                       $"'{slot.Name}' is [{string.Join(",", slot.Shape)}] (is the buffer of another model or width?)");
                    var into = values.AsSpan((int)slot.Offset, (int)slot.Count);
                    if (t.DType == DType.Float32) MemoryMarshal.Cast<byte, float>(t.Data).CopyTo(into);   // buffers are float32: the bytes as they are
                    else
                    {
                        var doubles = t.ToDoubles();
                        for (int v = 0; v < doubles.Length; v++) into[v] = (float)doubles[v];
                    }
                }
                flat.Add(Tensors.FromArray(values));
            }
            return flat;
        }
        catch
        {
            foreach (var t in flat) t.Dispose();
            throw;
        }
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        PickledTensor t => "a tensor " + t.Describe(),
        ArrayList l => $"a list of {l.Count}",
        _ => $"a {o.GetType().Name}",
    };
}
