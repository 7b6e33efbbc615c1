using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using DDist.Artifacts;
using DDist.Data;
using Xunit.Abstractions;

namespace DDist.Tests.Packaging;

/// <summary>DDist as a program of its own uses it: the two libraries packed as NuGet packages (`dotnet pack`), a copy of
/// examples/QuickStart built against those packages alone, outside the repository, and run end to end; and the command
/// line packed as a .NET tool, installed from its package and run from a folder outside the repository. A package that
/// lacks the shim, a dependency or the recipes, an example that no longer compiles against the public API, or a program
/// that needs the repository at run time fails here.</summary>
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
        Assert.Equal([$"DDist.{version}.nupkg", $"DDist.Cli.{version}.nupkg", $"DDist.Torch.{version}.nupkg"],
                     Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        CheckPackages(feed, version);

        // The example as a user would copy it: its own folder, restored from the local feed only (offline), its other
        // dependencies (ScottPlot, SkiaSharp, the pickle reader) taken from the machine's NuGet cache as a fallback.
        var app = Path.Combine(_dir, "app");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.GetFiles(Path.Combine(Repo, "examples", "QuickStart")).Where(f => f.EndsWith(".cs") || f.EndsWith(".csproj")))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        WriteNugetConfig(app, feed);
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

    [Fact]
    public void TheCommandLineInstallsAsADotnetToolAndRunsOutsideTheRepository()
    {
        var feed = Path.Combine(_dir, "feed");
        Dotnet(Repo, "pack", Path.Combine(Repo, "src", "DDist.Cli", "DDist.Cli.csproj"), "-c", Configuration, "--no-build", "-o", feed, "-v", "q", "-nologo", "--disable-build-servers");
        var version = PackageVersion(Path.Combine(Repo, "Directory.Build.props"));
        using (var tool = ZipFile.OpenRead(Path.Combine(feed, $"DDist.Cli.{version}.nupkg")))
        {
            var names = tool.Entries.Select(e => e.FullName).ToArray();
            const string dir = "tools/net10.0/any/";
            Assert.Contains(dir + "libddist_shim.so", names);
            Assert.Contains(dir + "runtimes/linux-x64/native/libSkiaSharp.so", names);
            Assert.DoesNotContain(names, n => n.StartsWith(dir + "runtimes/") && !n.StartsWith(dir + "runtimes/linux-x64/"));
            Assert.Equal(Directory.GetFiles(Path.Combine(Repo, "recipes"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal),
                         names.Where(n => n.StartsWith(dir + "recipes/")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            using var settings = tool.GetEntry(dir + "DotnetToolSettings.xml")!.Open();
            Assert.Equal("ddist", (string)XDocument.Load(settings).Descendants("Command").Single().Attribute("Name")!);
        }

        // Installed as a user would (`dotnet tool install`), from the local feed alone: a tool package has no dependencies.
        WriteNugetConfig(_dir, feed);
        var tools = Path.Combine(_dir, "tools");
        Dotnet(_dir, "tool", "install", "DDist.Cli", "--tool-path", tools, "--version", version, "--configfile", Path.Combine(_dir, "nuget.config"));
        var work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        var ddist = Path.Combine(tools, "ddist");

        Assert.Contains("checks passed on cpu", Run(ddist, work, ["selftest"]));
        Run(ddist, work, ["select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "-o", "set.safetensors"]);
        Assert.Contains("test accuracy", Run(ddist, work, ["eval", "set.safetensors", "--protocol", "dc", "-m", "ConvNetW32", "--epochs", "2", "--nets", "1"]), StringComparison.OrdinalIgnoreCase);
        Run(ddist, work, ["show", "set.safetensors", "-o", "set.png"]);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(work, "set.png"))[..4]);
        // A recipe named without its folder, and the demo's, are the ones the tool carries (refused here for the --seed
        // beside them, naming the file found).
        foreach (string[] command in (string[][])[["run", "fashion-mnist-ipc10-demo", "--seed", "1"], ["demo", "--seed", "1"]])
        {
            var refusal = Run(ddist, work, command, expectedExit: 2, stream: Stream.Error);
            Assert.Contains(Path.Combine(tools, ".store"), refusal);
            Assert.Contains("recipes/fashion-mnist-ipc10-demo.json sets its own seed", refusal);
        }
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

    /// <summary>A nuget.config that restores from <paramref name="feed"/> alone (offline), the machine's NuGet cache as a
    /// fallback for other packages, into a private packages folder (no stale copy of this version is reused).</summary>
    private void WriteNugetConfig(string folder, string feed) =>
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(_dir, "packages")}" /></config>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
              <fallbackPackageFolders><add key="user" value="{UserPackages()}" /></fallbackPackageFolders>
            </configuration>
            """);

    private static string PackageVersion(string props) =>
        XDocument.Load(props).Descendants("Version").Single().Value;

    private static string UserPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private string Dotnet(string workDir, params string[] args) => Run("dotnet", workDir, args);

    private enum Stream { Output, Error }

    /// <summary>Runs <paramref name="program"/> in <paramref name="workDir"/> as a program outside the repository would:
    /// without the test run's DDIST_ROOT, DDIST_SHIM or the MSBuild state `dotnet test` leaves in the environment. Fails
    /// with its output unless it exits <paramref name="expectedExit"/>; returns the stream asked for.</summary>
    private string Run(string program, string workDir, string[] args, int expectedExit = 0, Stream stream = Stream.Output)
    {
        var outside = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k is "DDIST_ROOT" or "DDIST_SHIM" or "DOTNET_HOST_PATH")
            .Select(k => new KeyValuePair<string, string?>(k, null));
        var line = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        var clock = Stopwatch.StartNew();
        var run = ChildProcess.Run(program, args, TimeSpan.FromMinutes(5), outside, workDir);
        output.WriteLine($"{line}: exit {run.ExitCode} in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == expectedExit, $"{line} exited {run.ExitCode}, expected {expectedExit}:\n{run.Stdout}\n{run.Stderr}");
        return stream == Stream.Output ? run.Stdout : run.Stderr;
    }
}
