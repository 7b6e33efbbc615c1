using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using DDist.Artifacts;
using DDist.Data;
using Xunit.Abstractions;

namespace DDist.Tests.Packaging;

/// <summary>DDist as a program of its own uses it: the two libraries packed as NuGet packages (`dotnet pack`), a copy of
/// examples/QuickStart built against those packages alone, outside the repository, and run end to end. A package that
/// lacks the shim or a dependency, an example that no longer compiles against the public API, or a library that needs
/// the repository at run time fails here.</summary>
public sealed class PackageConsumerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-package-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Repo => DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)
                                  ?? throw new DirectoryNotFoundException("repository root (DDist.slnx) not found above " + AppContext.BaseDirectory);

    /// <summary>The configuration these tests were built in (bin/CONFIG/net10.0/): the libraries are packed from that
    /// build, not built again.</summary>
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    [Fact]
    public void TheQuickStartBuildsFromThePackagesAloneAndDistils()
    {
        var feed = Path.Combine(_dir, "feed");
        // --disable-build-servers: no MSBuild node or compiler server outlives the test (CI would carry them to its end).
        Dotnet(Repo, "pack", Path.Combine(Repo, "DDist.slnx"), "-c", Configuration, "--no-build", "-o", feed, "-v", "q", "-nologo", "--disable-build-servers");
        var version = PackageVersion(Path.Combine(Repo, "Directory.Build.props"));
        Assert.Equal([$"DDist.{version}.nupkg", $"DDist.Torch.{version}.nupkg"], Directory.GetFiles(feed).Select(Path.GetFileName).Order());
        CheckPackages(feed, version);

        // The example as a user would copy it: its own folder, restored from the local feed only (offline), its other
        // dependencies (ScottPlot, SkiaSharp, the pickle reader) taken from the machine's NuGet cache as a fallback.
        var app = Path.Combine(_dir, "app");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.GetFiles(Path.Combine(Repo, "examples", "QuickStart")).Where(f => f.EndsWith(".cs") || f.EndsWith(".csproj")))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(_dir, "packages")}" /></config>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
              <fallbackPackageFolders><add key="user" value="{UserPackages()}" /></fallbackPackageFolders>
            </configuration>
            """);
        Dotnet(app, "build", "-c", "Release", $"-p:DDistPackageVersion={version}", "-v", "q", "-nologo", "--disable-build-servers");
        var bin = Path.Combine(app, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "runtimes", "linux-x64", "native", "libddist_shim.so")), "the shim was not restored from DDist.Torch's package");
        Assert.False(File.Exists(Path.Combine(bin, "libddist_shim.so")), "a shim beside the program did not come from the package");

        var stdout = Dotnet(app, Path.Combine(bin, "QuickStart.dll"), "out", "--small");
        Assert.Contains("| Random |", stdout);
        Assert.Contains("| MTT (iteration 4, chosen on validation) |", stdout);
        using var set = SmallSet.Load(Path.Combine(app, "out", "mtt.safetensors"));
        Assert.Equal(("mtt", "fashion-mnist", 100), (set.Info.Method, set.Info.Dataset, set.Count));
        Assert.True(set.Images.AllFinite());
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(app, "out", "mtt.png"))[..4]);
    }

    private static void CheckPackages(string feed, string version)
    {
        using (var torch = ZipFile.OpenRead(Path.Combine(feed, $"DDist.Torch.{version}.nupkg")))
        {
            var names = torch.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("lib/net10.0/DDist.Torch.dll", names);
            Assert.Contains("lib/net10.0/DDist.Torch.xml", names);
            Assert.Contains("runtimes/linux-x64/native/libddist_shim.so", names);
        }
        using var ddist = ZipFile.OpenRead(Path.Combine(feed, $"DDist.{version}.nupkg"));
        Assert.Contains("lib/net10.0/DDist.dll", ddist.Entries.Select(e => e.FullName));
        Assert.Contains("lib/net10.0/DDist.xml", ddist.Entries.Select(e => e.FullName));
        using var nuspec = ddist.GetEntry("DDist.nuspec")!.Open();
        var dependencies = XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency")
                                    .Select(e => (string)e.Attribute("id")!).ToArray();
        Assert.Contains("DDist.Torch", dependencies);
        Assert.Contains("ScottPlot", dependencies);
    }

    private static string PackageVersion(string props) =>
        XDocument.Load(props).Descendants("Version").Single().Value;

    private static string UserPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Runs dotnet in <paramref name="workDir"/> as a program outside the repository would: without the test
    /// run's DDIST_ROOT, DDIST_SHIM or the MSBuild state `dotnet test` leaves in the environment. Fails with its output
    /// when it exits non-zero.</summary>
    private string Dotnet(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                                                              || k is "DDIST_ROOT" or "DDIST_SHIM" or "DOTNET_HOST_PATH").ToArray())
            psi.Environment.Remove(name);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} took over 5 minutes");
        }
        output.WriteLine($"dotnet {string.Join(' ', args)}: exit {p.ExitCode} in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(p.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
