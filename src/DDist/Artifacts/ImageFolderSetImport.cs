using System.Globalization;
using DDist.Data;
using DDist.Torch;

namespace DDist.Artifacts;

/// <summary>A distilled set distributed as pictures, one sub-folder of PNG/JPEG files per class (the ImageFolder layout
/// RDED's and SRe2L's synthetic data use, or any set saved as images), as a DDist <see cref="SmallSet"/> in the
/// dataset's normalisation. A folder is a class by the dataset's class name or by its number ("3", "00003", as
/// ImageFolder-style tools name them); the pictures' size and channels must be the dataset's.</summary>
public static class ImageFolderSetImport
{
    public static SmallSet Import(string dir, RawDataset raw, string method, double? learnedLr = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: image folder not found");
        var folders = DataFile.SortOrdinal(Directory.GetDirectories(dir).Select(d => Path.GetFileName(d)!).Where(n => !n.StartsWith('.')));
        if (folders.Length == 0) throw new InvalidDataException($"{dir}: no class sub-folders, expected one folder of images per class");
        var files = new List<string>();
        var labels = new List<long>();
        var folderOf = new Dictionary<int, string>();
        foreach (var folder in folders)
        {
            int c = ClassOf(dir, folder, raw);
            if (!folderOf.TryAdd(c, folder))
                throw new InvalidDataException($"{dir}: the folders '{folderOf[c]}' and '{folder}' are both class {c} ({raw.ClassNames[c]})");
            var images = DataFile.SortOrdinal(Directory.GetFiles(Path.Combine(dir, folder)).Where(ImageFiles.IsImageFile).Select(f => Path.GetFileName(f)!));
            files.AddRange(images.Select(f => Path.Combine(dir, folder, f)));
            labels.AddRange(images.Select(_ => (long)c));
        }
        if (files.Count == 0) throw new InvalidDataException($"{dir}: the class folders hold no PNG or JPEG files");
        var (channels, h, w) = (raw.Train.Channels, raw.Train.Height, raw.Train.Width);
        var (pixels, _, _) = ImageFiles.DecodeAll(files, channels, (h, w));
        var norm = DatasetRegistry.NormalizationFor(raw);
        // The dataset's own conversion, so the pictures are in its space exactly as its training and test images are.
        using var pictures = ImageDataset.FromRaw(new RawImageSet(pixels, labels.Select(l => (int)l).ToArray(), files.Count, channels, h, w, raw.ClassNames),
                                                  norm, Device.Cpu, raw.Name);
        var counts = new long[raw.NumClasses];
        foreach (var c in labels) counts[c]++;
        var parameters = new Dictionary<string, string>
        {
            ["source"] = Path.GetFullPath(dir), ["layout"] = "image folder (one sub-folder per class)", ["labels"] = "the class folders", ["space"] = "pixels",
        };
        if (counts.Distinct().Count() > 1) parameters["class_counts"] = string.Join(",", counts);
        using var scope = new TensorScope();
        return new SmallSet
        {
            Images = pictures.Images.Alias().DetachFromScope(),
            Labels = Tensors.FromArray(labels.ToArray()).DetachFromScope(),
            IsDistilled = Enumerable.Repeat(true, files.Count).ToArray(),
            SourceIndex = Enumerable.Repeat(-1L, files.Count).ToArray(),
            LearnedLr = learnedLr,
            Info = new SmallSetInfo
            {
                Dataset = raw.Name, Method = method, Ipc = (int)counts.Max(), NumClasses = raw.NumClasses, Normalization = norm.Name, Parameters = parameters,
            },
        };
    }

    /// <summary>The class a sub-folder holds: the dataset's class of that name, else the class of that number.</summary>
    private static int ClassOf(string dir, string folder, RawDataset raw)
    {
        int byName = Array.IndexOf(raw.ClassNames, folder);
        if (byName >= 0) return byName;
        if (folder.All(char.IsAsciiDigit) && int.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < raw.NumClasses) return n;
        throw new InvalidDataException($"{Path.Combine(dir, folder)}: the folder is neither a class of {raw.Name} by name ({string.Join(", ", raw.ClassNames.Take(5))}" +
                                       $"{(raw.ClassNames.Length > 5 ? ", …" : "")}) nor by number (0…{raw.NumClasses - 1})");
    }
}
