using System.CommandLine;
using DDist.Models;

namespace DDist.Cli.Commands;

/// <summary>`ddist models --dataset NAME`: every model with its parameter count for that dataset's image shape.</summary>
public static class ModelsCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var dataset = CommonOptions.Dataset();
        var cmd = new Command("models", "List the networks and their parameter counts for a dataset's image shape") { dataset };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var name = parse.GetValue(dataset)!;
            var (c, k, h, w) = CliData.Shape(name);
            var rows = ModelZoo.Names.Select(m => Describe(m, c, k, h, w)).ToArray();
            ctx.WriteResult(new { dataset = name, shape = new[] { c, h, w }, classes = k, models = rows }, o =>
            {
                o.WriteLine($"{name}: {c}×{h}×{w}, {k} classes");
                foreach (var r in rows)
                    o.WriteLine(r.Parameters is long n ? $"  {r.Name,-18} {n,12:N0}{(r.BatchNorm ? "  (batch norm)" : "")}" : $"  {r.Name,-18} {"n/a",12}  {r.Error}");
            });
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private sealed record Row(string Name, long? Parameters, bool BatchNorm, string? Error);

    private static Row Describe(string model, int c, int k, int h, int w)
    {
        try
        {
            var net = ModelZoo.Create(model, c, k, h, w);
            return new Row(model, net.ParameterCount, net.HasBatchNorm, null);
        }
        catch (ArgumentException e)
        {
            return new Row(model, null, false, e.Message);   // e.g. an architecture whose pooling does not fit this size
        }
    }
}
