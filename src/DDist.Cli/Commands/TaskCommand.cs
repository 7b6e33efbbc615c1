using System.CommandLine;
using DDist.Pipeline;
using DDist.Pipeline.Executors;

namespace DDist.Cli.Commands;

/// <summary>`ddist task UNIT RECIPE --out DIR --task i`: one task of one stage unit (what a Slurm array task runs).
/// It is the recipe runner restricted to that piece of work, so it writes exactly what `ddist run` writes for it.</summary>
public static class TaskCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var unit = new Argument<string>("unit") { Description = "experts, scores, window, choose-beta, distill-mtt, distill-selmatch, evaluate, report" };
        var recipe = RunCommand.RecipeArgument();
        var task = new Option<int>("--task") { Description = "Task number within the unit (the array index)", Required = true };
        var cmd = new Command("task", "Run one task of one stage of a recipe (used by `ddist run --executor slurm`)") { unit, recipe, task };
        cmd.Hidden = true;
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var r = RunCommand.LoadRecipe(parse.GetValue(recipe)!);
            var outDir = ctx.RequireOut("task", "DIR");
            var plan = new StagePlan(r, outDir);
            var name = parse.GetValue(unit)!;
            int i = parse.GetValue(task);
            var options = plan.OptionsFor(name, i);
            ctx.Note($"{r.Name}: {name} task {i} of {plan.Unit(name).Tasks} → {Path.GetFullPath(outDir)}");
            // An interrupted expert (cancelled, killed, out of time) left its per-epoch checkpoint; the trainer resumes from it.
            var checkpoint = Path.Combine(outDir, "experts", ".partial", $"expert_{i:D4}");
            if (name == StagePlan.Experts && Directory.Exists(checkpoint))
                ctx.Note($"expert {i}: resuming from its checkpoint ({Directory.GetFiles(checkpoint, "epoch_*.safetensors").Length - 1} epoch(s) done)");
            ProgressView.Run(ctx, p => new RecipeRunner(r, outDir, p, ctx.Note, options).Run(ctx.Cancel));
            if (!plan.Unit(name).IsTaskDone(i))
                throw new InvalidOperationException($"{name} task {i}: the runner returned but its artefacts are missing in {outDir}");
            ctx.WriteResult(new { unit = name, task = i, done = true }, w => w.WriteLine($"{name} task {i}: done"));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
