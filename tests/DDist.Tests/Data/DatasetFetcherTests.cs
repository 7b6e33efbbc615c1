using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using DDist.Data;

namespace DDist.Tests.Data;

public class DatasetFetcherTests
{
    /// <summary>Serves files from memory (or fails like an offline machine); no request leaves the process.</summary>
    private sealed class FakeHandler(IReadOnlyDictionary<string, byte[]>? files) : HttpMessageHandler
    {
        public List<string> Requested { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
        {
            var url = request.RequestUri!.ToString();
            Requested.Add(url);
            if (files is null) throw new HttpRequestException("Name or service not known");
            return Task.FromResult(files.TryGetValue(url, out var bytes)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }

    private static DatasetLocator Locator(TempDir dir) =>
        new(dir.Combine("data"), installedCopies: new Dictionary<string, IReadOnlyList<string>>());

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    [Fact]
    public async Task Offline_FailsNamingEveryMirror()
    {
        using var dir = new TempDir();
        var handler = new FakeHandler(null);
        using var fetcher = new DatasetFetcher(Locator(dir), new HttpClient(handler));
        var e = await Assert.ThrowsAsync<IOException>(() => fetcher.FetchAsync("mnist"));
        Assert.Contains("could not reach", e.Message);
        Assert.Contains("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("offline", e.Message);
        Assert.Equal(2, handler.Requested.Count);
        Assert.False(Directory.Exists(dir.Combine("data", "mnist")));
        Assert.Empty(Directory.GetDirectories(dir.Combine("data"))); // the staging folder is gone
    }

    [RealDataFact("fashion-mnist")]
    public async Task Fetch_DownloadsVerifiesAndInstalls()
    {
        using var dir = new TempDir();
        var served = new Dictionary<string, byte[]>();
        var files = new List<DownloadFile>();
        foreach (var name in IdxReader.DatasetFileNames)
        {
            var bytes = File.ReadAllBytes(IdxReader.FindFile(DatasetLocator.DebianFashionMnist, name)!);
            var url = $"https://mirror.test/{name}.gz";
            served[url] = bytes;
            files.Add(new DownloadFile($"{name}.gz", ["https://dead.test/x", url], ChecksumAlgorithm.Md5, Md5(bytes), ArchiveKind.None));
        }
        var sources = new Dictionary<string, DatasetSource> { ["fashion-mnist"] = new("fashion-mnist", files) };
        var locator = Locator(dir);
        using var fetcher = new DatasetFetcher(locator, new HttpClient(new FakeHandler(served)), sources);
        var reports = new List<FetchProgress>();
        var installed = await fetcher.FetchAsync("fashion-mnist", new SyncProgress(reports.Add));
        Assert.Equal(dir.Combine("data", "fashion-mnist"), installed);
        Assert.Equal(served.Values.Sum(b => (long)b.Length), reports.GroupBy(r => r.File).Sum(g => g.Last().Bytes));
        Assert.Equal(installed, locator.Locate("fashion-mnist"));
        Assert.Equal(installed, await fetcher.FetchAsync("fashion-mnist")); // already installed: nothing downloaded again
    }

    [Fact]
    public async Task ChecksumMismatch_NamesFileAndExpectedChecksum()
    {
        using var dir = new TempDir();
        var file = new DownloadFile("train-images-idx3-ubyte.gz", ["https://mirror.test/a"], ChecksumAlgorithm.Sha256, new string('0', 64), ArchiveKind.None);
        var sources = new Dictionary<string, DatasetSource> { ["mnist"] = new("mnist", [file]) };
        using var fetcher = new DatasetFetcher(Locator(dir), new HttpClient(new FakeHandler(new Dictionary<string, byte[]> { ["https://mirror.test/a"] = [1, 2, 3] })), sources);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => fetcher.FetchAsync("mnist"));
        Assert.Contains("train-images-idx3-ubyte.gz: Sha256 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", e.Message);
        Assert.Contains("expected 0000", e.Message);
        Assert.False(Directory.Exists(dir.Combine("data", "mnist")));
    }

    [Fact]
    public async Task TarGzArchive_IsExtractedThenCheckedAgainstTheSpec()
    {
        using var dir = new TempDir();
        var small = new TempDir();
        CifarReaderTests.WriteCifar10(small);
        var archive = TarGz(small.Path);
        small.Dispose();
        var file = new DownloadFile("cifar-10-binary.tar.gz", ["https://mirror.test/c10"], ChecksumAlgorithm.Md5, Md5(archive), ArchiveKind.TarGz);
        var sources = new Dictionary<string, DatasetSource> { ["cifar10"] = new("cifar10", [file]) };
        using var fetcher = new DatasetFetcher(Locator(dir), new HttpClient(new FakeHandler(new Dictionary<string, byte[]> { ["https://mirror.test/c10"] = archive })), sources);
        // The archive extracts to cifar-10-batches-bin/ and reads, but holds 2 records per batch, not 10000: not installed.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => fetcher.FetchAsync("cifar10"));
        Assert.Contains("cifar-10-batches-bin", e.Message);
        Assert.Contains("data_batch_1.bin: 2 records, expected 10000", e.Message);
        Assert.False(Directory.Exists(dir.Combine("data", "cifar10")));
        Assert.Empty(Directory.GetDirectories(dir.Combine("data")));
    }

    [RealDataFact("fashion-mnist")]
    public void Import_Symlink_ThenCopyIsRefused()
    {
        using var dir = new TempDir();
        var locator = Locator(dir);
        using var fetcher = new DatasetFetcher(locator);
        var installed = fetcher.Import("fashion-mnist", DatasetLocator.DebianFashionMnist, ImportMode.Symlink);
        Assert.Equal(dir.Combine("data", "fashion-mnist"), installed);
        var link = new FileInfo(Path.Combine(installed, "train-images-idx3-ubyte.gz"));
        Assert.Equal(Path.Combine(DatasetLocator.DebianFashionMnist, "train-images-idx3-ubyte.gz"), link.LinkTarget);
        var e = Assert.Throws<IOException>(() => fetcher.Import("fashion-mnist", DatasetLocator.DebianFashionMnist));
        Assert.Contains("already installed", e.Message);
        Assert.Equal(installed, fetcher.Installed("fashion-mnist"));

        // Replacing: a copy that fails its checks leaves the installed one as it was; one that passes takes its place.
        Assert.Throws<FileNotFoundException>(() => fetcher.Import("fashion-mnist", Directory.CreateDirectory(dir.Combine("empty")).FullName, replace: true));
        Assert.NotNull(new FileInfo(Path.Combine(installed, "train-images-idx3-ubyte.gz")).LinkTarget);
        Assert.Equal(installed, fetcher.Import("fashion-mnist", DatasetLocator.DebianFashionMnist, replace: true));
        Assert.Null(new FileInfo(Path.Combine(installed, "train-images-idx3-ubyte.gz")).LinkTarget);
        Assert.Equal([installed], Directory.GetDirectories(dir.Combine("data")));   // neither the old copy nor a staging folder is left
    }

    [RealDataFact("fashion-mnist")]
    public void Import_Copy_InstallsRealFiles()
    {
        using var dir = new TempDir();
        using var fetcher = new DatasetFetcher(Locator(dir));
        var installed = fetcher.Import("fmnist", DatasetLocator.DebianFashionMnist);
        var copy = new FileInfo(Path.Combine(installed, "t10k-labels-idx1-ubyte.gz"));
        Assert.Null(copy.LinkTarget);
        Assert.Equal(new FileInfo(Path.Combine(DatasetLocator.DebianFashionMnist, "t10k-labels-idx1-ubyte.gz")).Length, copy.Length);
    }

    [Fact]
    public void Import_ArchiveWithWrongChecksum_IsRejected()
    {
        using var dir = new TempDir();
        dir.Write("downloads/cifar-10-binary.tar.gz", [0x1F, 0x8B, 0, 0]);
        using var fetcher = new DatasetFetcher(Locator(dir));
        var e = Assert.Throws<InvalidDataException>(() => fetcher.Import("cifar10", dir.Combine("downloads")));
        Assert.Contains("expected c32a1d4ab5d03f1284b67883e8d87530", e.Message);
        // Named by the folder given and the file in it, not by the staging copy (gone by the time anyone reads it).
        Assert.StartsWith($"{dir.Combine("downloads")}: cifar-10-binary.tar.gz", e.Message);
        Assert.DoesNotContain(".staging-", e.Message);
    }

    [Fact]
    public void Import_FolderWithoutTheFiles_SaysWhatItExpected()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("empty"));
        using var fetcher = new DatasetFetcher(Locator(dir));
        var e = Assert.Throws<FileNotFoundException>(() => fetcher.Import("tiny-imagenet", dir.Combine("empty")));
        Assert.Contains("tiny-imagenet-200.zip", e.Message);
        Assert.Throws<ArgumentException>(() => fetcher.Import("folder:/x", dir.Path));
    }

    private static byte[] TarGz(string folder)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            TarFile.CreateFromDirectory(folder, gz, includeBaseDirectory: false);
        return output.ToArray();
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }
}
