namespace DDist.Torch.IO;

/// <summary>Writes a file so that readers see either the old content or the complete new one, never a torn file:
/// write a temporary sibling, flush it to disk, then rename over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        for (var up = dir; !string.IsNullOrEmpty(up); up = Path.GetDirectoryName(up))
            if (File.Exists(up)) throw new IOException($"{full}: cannot write: {up} is a file, not a folder");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            // Best effort: the original exception is what the caller needs to see.
            try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            // Named by the file asked for, not the temporary sibling the system names (a read-only or virtual folder).
            if (e is IOException or UnauthorizedAccessException) throw new IOException($"{full}: cannot write: {e.Message.Replace(tmp, full)}", e);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }
}
