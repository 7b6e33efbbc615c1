namespace DDist.Tests.Unrolled;

/// <summary>`ddist distill --unroll` reaches DD / SLD and DATM / TESLA recipes; a mode a method does not take is refused
/// by the flag's name before any data is loaded.</summary>
public class UnrollCliTests
{
    private static (int Code, string Err) Run(params string[] args)
    {
        var error = new StringWriter();
        int code = DDist.Cli.Program.Run([.. args, "--threads", "2"], new StringWriter(), error);
        return (code, error.ToString());
    }

    private static string Recipe(string name) => Path.Combine(DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes", name);

    [Theory]
    [InlineData("mnist-ipc1-dd-cpu.json", "dd", "tesla")]
    [InlineData("mnist-ipc1-dd-cpu.json", "sld", "partly")]
    [InlineData("fashion-mnist-ipc10-datm-cpu.json", "datm", "partly")]
    public void AModeTheMethodDoesNotTake_IsRefusedByTheFlag(string recipe, string method, string mode)
    {
        var r = Run("distill", Recipe(recipe), "--method", method, "--unroll", mode);
        Assert.NotEqual(0, r.Code);
        Assert.Contains($"--unroll '{mode}'", r.Err);
    }
}
