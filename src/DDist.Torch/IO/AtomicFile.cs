using System.Globalization;
using System.Text.RegularExpressions;

namespace DDist.Torch.IO;

/// <summary>Writes a file so that readers see either the old content or the complete new one, never a torn file:
/// write a temporary sibling, flush it to disk, then rename over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (FileAmongFolders(full) is { } up) throw new IOException($"{full}: cannot write: {up} is a file, not a folder");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.{Environment.ProcessId}@{Host}.tmp");
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

    /// <summary>The first folder above <paramref name="path"/> that is a file instead (so nothing can be written there), or null.</summary>
    public static string? FileAmongFolders(string path)
    {
        for (var up = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(up); up = Path.GetDirectoryName(up))
            if (File.Exists(up)) return up;
        return null;
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>A temporary sibling as <see cref="Write"/> names it: <c>.NAME.GUID.PID@HOST.tmp</c> (the writer's process and
    /// host, so that only the machine that wrote it judges whether its writer is gone), or <c>.NAME.PID.GUID.tmp</c> as
    /// versions before 2026-12 named it.</summary>
    static readonly Regex Temporary = new(@"^\..+\.(?:[0-9a-f]{32}\.(?<pid>\d+)@(?<host>[^/@]+)|(?<pid>\d+)\.[0-9a-f]{32})\.tmp$", RegexOptions.CultureInvariant);

    /// <summary>This machine in temporary names: its host name, cut to 32 characters so that the name stays within the
    /// file system's 255.</summary>
    public static string Host => Environment.MachineName.Length > 32 ? Environment.MachineName[..32] : Environment.MachineName;

    /// <summary>How long a temporary file of another machine (or of an unnamed one) must have stood unchanged before it
    /// counts as abandoned: a writer streams into it, so a live one touches it far more often than this.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(24);

    /// <summary>Deletes the temporary files under <paramref name="dir"/> that no write will finish: those a killed
    /// process left behind (its rename never came). A file of this machine goes once its writer's process is gone; one
    /// of another machine, which cannot be asked, once it has not changed for <see cref="AbandonedAfter"/>. Nothing
    /// else is touched, and a file that cannot be deleted is left. Returns the paths deleted.</summary>
    public static IReadOnlyList<string> RemoveAbandoned(string dir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(dir)) return removed;
        foreach (var path in Directory.EnumerateFiles(dir, ".*.tmp", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var m = Temporary.Match(Path.GetFileName(path));
            if (!m.Success) continue;
            bool ours = m.Groups["host"].Success && m.Groups["host"].Value == Host;
            bool abandoned = ours && int.TryParse(m.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                ? !ProcessIsAlive(pid)
                : DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > AbandonedAfter;
            if (!abandoned) continue;
            try { File.Delete(path); removed.Add(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>Whether a process with this id runs on this machine (Linux: /proc; elsewhere the runtime's lookup).</summary>
    static bool ProcessIsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (Directory.Exists("/proc/self")) return Directory.Exists($"/proc/{pid}");
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
