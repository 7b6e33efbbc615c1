using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace DDist.Data;

/// <summary>Bytes of <paramref name="File"/> downloaded so far (TotalBytes when the server says).</summary>
public sealed record FetchProgress(string File, long Bytes, long? TotalBytes);

public enum ImportMode { Copy, Symlink }

/// <summary>Installs datasets into &lt;data root&gt;/NAME: <see cref="FetchAsync"/> downloads the official files
/// (<see cref="DatasetSources"/>), verifies their checksums and extracts them; <see cref="Import"/> takes a local copy
/// (the official archives, or an extracted layout). Work happens in a staging folder beside the target that is fully
/// read and checked against the dataset's spec before one rename puts it in place.</summary>
public sealed class DatasetFetcher : IDisposable
{
    private readonly DatasetLocator _locator;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly IReadOnlyDictionary<string, DatasetSource> _sources;

    /// <param name="http">The client to download with (null: a new one with a 30-minute timeout).</param>
    /// <param name="sources">Overrides the official table (tests serve their own files).</param>
    public DatasetFetcher(DatasetLocator locator, HttpClient? http = null, IReadOnlyDictionary<string, DatasetSource>? sources = null)
    {
        _locator = locator;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        _sources = sources ?? DatasetSources.All;
    }

    /// <summary>Downloads, verifies and installs a dataset; returns the folder holding its files. A dataset the locator
    /// already finds (installed here or by a system package) is returned as it is, with nothing downloaded. Offline,
    /// it fails with an IOException naming the URLs it could not reach.</summary>
    public async Task<string> FetchAsync(string name, IProgress<FetchProgress>? progress = null, CancellationToken cancel = default)
    {
        var spec = SpecOf(name);
        if (_locator.TryLocate(spec.Name) is { } available) return available;
        var target = _locator.DatasetDir(spec.Name);
        EnsureAbsent(target);
        var source = SourceOf(spec.Name);
        var staging = NewStaging(spec.Name);
        try
        {
            foreach (var file in source.Files)
            {
                var path = await DownloadAsync(file, staging, progress, cancel);
                Verify(path, file);
                Unpack(path, file, staging);
            }
            return Commit(spec, staging, target);
        }
        finally { DeleteStaging(staging); }
    }

    /// <summary>Installs a local copy from <paramref name="from"/>: the official archives (checksum-verified, then
    /// extracted) when they are there, otherwise the dataset's files (IDX files, an extracted CIFAR folder, a
    /// tiny-imagenet-200 tree), copied or symlinked. Either way the result is read and checked before it is installed.
    /// A dataset already installed here is refused unless <paramref name="replace"/>: then the new copy is checked first
    /// and takes the old one's place only once it has passed.</summary>
    public string Import(string name, string from, ImportMode mode = ImportMode.Copy, bool replace = false)
    {
        var spec = SpecOf(name);
        if (!Directory.Exists(from)) throw new DirectoryNotFoundException($"{from}: folder not found (import {spec.Name})");
        var target = _locator.DatasetDir(spec.Name);
        bool installed = Installed(spec.Name) is not null;
        if (installed && !replace)
            throw new IOException($"{target}: {spec.Name} is already installed here; import with replace (`--replace`) to put this copy in its place");
        if (!installed) EnsureAbsent(target);
        var staging = NewStaging(spec.Name);
        try
        {
            var archives = SourceOf(spec.Name).Files.Where(f => f.Archive != ArchiveKind.None && File.Exists(Path.Combine(from, f.FileName))).ToList();
            if (archives.Count > 0)
                foreach (var file in archives)
                {
                    var copy = Path.Combine(staging, file.FileName);
                    File.Copy(Path.Combine(from, file.FileName), copy);
                    Verify(copy, file);
                    Unpack(copy, file, staging);
                }
            else
                Place(spec, DatasetRegistry.FindLayout(spec.Name, from) ?? throw new FileNotFoundException(
                    $"{from}: no {spec.Name} files here (expected the official archive {string.Join(", ", SourceOf(spec.Name).Files.Select(f => f.FileName))} or its extracted contents)"),
                    staging, mode);
            return Commit(spec, staging, target, replace: installed);
        }
        catch (InvalidDataException e) when (e.Message.Contains(staging, StringComparison.Ordinal))
        {
            // Named by the folder given and the file's place in it: the staging copy is gone once this returns.
            throw new InvalidDataException($"{from}: " + e.Message.Replace(staging + Path.DirectorySeparatorChar, "").Replace(staging, "."), e);
        }
        finally { DeleteStaging(staging); }
    }

    /// <summary>The folder holding <paramref name="name"/>'s files when it is installed in this data root (not one a
    /// system package provides elsewhere); null when it is not.</summary>
    public string? Installed(string name) => DatasetRegistry.FindLayout(SpecOf(name).Name, _locator.DatasetDir(SpecOf(name).Name));

    private static DatasetSpec SpecOf(string name) =>
        DatasetRegistry.IsFolder(name)
            ? throw new ArgumentException($"'{name}' is a local image folder; there is nothing to fetch or import")
            : DatasetRegistry.GetSpec(name);

    private DatasetSource SourceOf(string name) =>
        _sources.TryGetValue(name, out var s) ? s : throw new ArgumentException($"no download source is known for {name}");

    private static void EnsureAbsent(string target)
    {
        if (Directory.Exists(target) || File.Exists(target))
            throw new IOException($"{target}: exists but does not hold a complete dataset; remove it (nothing is overwritten)");
    }

    private string NewStaging(string name)
    {
        Directory.CreateDirectory(_locator.DataRoot);
        return Directory.CreateDirectory(Path.Combine(_locator.DataRoot, $".staging-{name}-{Guid.NewGuid():N}")).FullName;
    }

    private static void DeleteStaging(string staging)
    {
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
    }

    private async Task<string> DownloadAsync(DownloadFile file, string dir, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        var path = Path.Combine(dir, file.FileName);
        var failures = new List<string>();
        foreach (var url in file.Urls)
        {
            try
            {
                using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel);
                response.EnsureSuccessStatusCode();
                await using var input = await response.Content.ReadAsStreamAsync(cancel);
                await using var output = File.Create(path);
                await CopyWithProgress(input, output, file.FileName, response.Content.Headers.ContentLength, progress, cancel);
                return path;
            }
            catch (HttpRequestException e) { failures.Add($"{url}: {e.Message}"); }
            catch (HttpIOException e) { failures.Add($"{url}: {e.Message}"); }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested) { failures.Add($"{url}: timed out"); }
        }
        throw new IOException(
            $"cannot download {file.FileName}: could not reach {string.Join("; ", failures)}. This machine may be offline: " +
            $"download the file elsewhere and install it with 'ddist data import NAME DIR'.");
    }

    private static async Task CopyWithProgress(Stream input, Stream output, string file, long? total, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        var buffer = new byte[1 << 20];
        long done = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancel)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancel);
            done += read;
            progress?.Report(new FetchProgress(file, done, total));
        }
    }

    /// <summary>Throws, naming the file, when its checksum is not the published one.</summary>
    public static void Verify(string path, DownloadFile file)
    {
        using var stream = File.OpenRead(path);
        var hash = file.Algorithm == ChecksumAlgorithm.Md5 ? MD5.HashData(stream) : SHA256.HashData(stream);
        var actual = Convert.ToHexStringLower(hash);
        if (!string.Equals(actual, file.Checksum, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"{path}: {file.Algorithm} {actual}, expected {file.Checksum.ToLowerInvariant()} (the published checksum of {file.FileName}); corrupt or not the official file");
    }

    /// <summary>Extracts an archive into <paramref name="dir"/> and deletes it; plain files (gzip IDX) stay as they are.</summary>
    private static void Unpack(string path, DownloadFile file, string dir)
    {
        switch (file.Archive)
        {
            case ArchiveKind.TarGz:
                using (var compressed = File.OpenRead(path))
                using (var tar = new GZipStream(compressed, CompressionMode.Decompress))
                    TarFile.ExtractToDirectory(tar, dir, overwriteFiles: false);
                File.Delete(path);
                break;
            case ArchiveKind.Zip:
                ZipFile.ExtractToDirectory(path, dir, overwriteFiles: false);
                File.Delete(path);
                break;
        }
    }

    /// <summary>Copies or links the dataset's files into the staging folder, under the archive's folder name.</summary>
    private static void Place(DatasetSpec spec, string layout, string staging, ImportMode mode)
    {
        if (spec.LayoutFolder.Length == 0)
        {
            foreach (var name in IdxReader.DatasetFileNames)
            {
                var file = IdxReader.FindFile(layout, name)!;
                var destination = Path.Combine(staging, Path.GetFileName(file));
                if (mode == ImportMode.Copy) File.Copy(file, destination);
                else File.CreateSymbolicLink(destination, Path.GetFullPath(file));
            }
            return;
        }
        var folder = Path.Combine(staging, spec.LayoutFolder);
        if (mode == ImportMode.Copy) CopyTree(layout, folder);
        else Directory.CreateSymbolicLink(folder, Path.GetFullPath(layout));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>Reads the staged dataset in full (sizes checked against the spec), then renames it into place. Replacing,
    /// the old folder is moved aside first and deleted only after the new one is in place (put back if that rename fails).</summary>
    private static string Commit(DatasetSpec spec, string staging, string target, bool replace = false)
    {
        var layout = DatasetRegistry.FindLayout(spec.Name, staging)
            ?? throw new InvalidDataException($"{staging}: the installed files do not form the {spec.Name} layout (expected {(spec.LayoutFolder.Length > 0 ? spec.LayoutFolder + "/" : "the IDX files")})");
        DatasetRegistry.ReadFrom(spec.Name, layout);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string? old = replace ? $"{target}.replaced-{Guid.NewGuid():N}" : null;
        if (old is not null) Directory.Move(target, old);
        try { Directory.Move(staging, target); }
        catch when (old is not null)
        {
            Directory.Move(old, target);
            throw;
        }
        if (old is not null) Directory.Delete(old, recursive: true);
        return DatasetRegistry.FindLayout(spec.Name, target)!;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
