using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>Finds libddist_shim.so for this assembly's imports and checks the ABI once it is loaded.
/// Search order: $DDIST_SHIM (a file), the application folder, runtimes/linux-x64/native.</summary>
internal static class NativeLoader
{
    internal const int ExpectedAbi = 1;

    [ModuleInitializer]
    internal static void Register()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);
        AllocatorTuning.ApplyOnLoad();
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Native.Lib) return 0;
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate)) { tried.Add($"{candidate}: not found"); continue; }
            try
            {
                var handle = NativeLibrary.Load(candidate);
                CheckAbi(handle, candidate);
                return handle;
            }
            catch (DllNotFoundException e) { tried.Add($"{candidate}: {e.Message}"); }
        }
        throw new DllNotFoundException(
            "The DDist native shim (libddist_shim.so) could not be loaded. It is built by 'dotnet build' " +
            "(needs libtorch: 'sudo apt-get install libtorch-dev', or TORCH_DIR for another libtorch); " +
            "DDIST_SHIM may point at the file. Tried:\n  " + string.Join("\n  ", tried));
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("DDIST_SHIM");
        if (!string.IsNullOrEmpty(env)) yield return env;
        var baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, "libddist_shim.so");
        yield return Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libddist_shim.so");
    }

    private static unsafe void CheckAbi(nint handle, string file)
    {
        var abi = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "dd_abi_version");
        int version = abi();
        if (version != ExpectedAbi)
            throw new DllNotFoundException($"{file} has ABI version {version}, this DDist.Torch expects {ExpectedAbi}: rebuild the shim");
    }
}
