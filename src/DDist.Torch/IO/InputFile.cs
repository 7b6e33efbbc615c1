namespace DDist.Torch.IO;

/// <summary>The one check every command makes of a file it is given to read: that it is there, and is a file.</summary>
public static class InputFile
{
    /// <summary>Returns <paramref name="path"/>, or throws FileNotFoundException naming it and what was expected
    /// (<paramref name="what"/>: "recipe file", "small-set file" …), a folder given in its place included.</summary>
    public static string Require(string path, string what)
    {
        if (File.Exists(path)) return path;
        throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: a folder, expected a {what}" : $"{path}: no such {what}", path);
    }
}
