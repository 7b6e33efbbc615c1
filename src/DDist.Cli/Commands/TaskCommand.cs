using System.CommandLine;
using DDist.Pipeline;
using DDist.Pipeline.Executors;
using DDist.Pipeline.Stages;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist task UNIT RECIPE --out DIR --task i`: one task of one stage unit (what a Slurm array task runs), of a
/// SelMatch recipe or a comparison. It is the local runner restricted to that piece of work, so it writes exactly what
/// `ddist run` writes for it.</summary>
public static class TaskCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var unit = new Argument<string>("unit")
        {
            Description = "a recipe's experts, forgetting, scores, window, halving-R, choose-beta, distill-mtt, distill-selmatch, evaluate, report; " +
                          "a comparison's forgetting, embedding, sets, evaluate, table",
        };
        var recipe = RunCommand.RecipeArgument();
        var task = new Option<int>("--task") { Description = "Task number within the unit (the array index)", Required = true };
        var unroll = RunCommand.UnrollOption();
        var cmd = new Command("task", "Run one task of one stage of a recipe (used by `ddist run --executor slurm`)") { unit, recipe, task, unroll };
        cmd.Hidden = true;
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(recipe)!;
            InputFile.Require(path, "recipe file");
            var outDir = ctx.RequireOut("task", "DIR");
            var c = ComparisonRecipe.IsComparison(path) ? ComparisonRecipe.Load(path) : null;
            var r = c is null ? RunCommand.WithUnroll(RunCommand.LoadRecipe(path), parse.GetValue(unroll)) : null;
            var plan = c is not null ? new StagePlan(c, outDir) : new StagePlan(r!, outDir);
            var name = parse.GetValue(unit)!;
            int i = parse.GetValue(task);
            var stage = plan.Unit(name);
            if (i < 0 || i >= stage.Tasks) throw new CliException($"--task {i}: stage unit '{name}' has tasks 0..{stage.Tasks - 1}");
            ctx.Note($"{plan.Name}: {name} task {i} of {stage.Tasks} ({stage.TaskName(i)}) → {Path.GetFullPath(outDir)}");
            // An interrupted expert (cancelled, killed, out of time) left its per-epoch checkpoint; the trainer resumes from it.
            var checkpoint = Path.Combine(outDir, "experts", ".partial", $"expert_{i:D4}");
            if (r is not null && name == RecipeStages.Experts && Directory.Exists(checkpoint))
                ctx.Note($"expert {i}: resuming from its checkpoint ({Directory.GetFiles(checkpoint, "epoch_*.safetensors").Length - 1} epoch(s) done)");
            ProgressView.Run(ctx, p =>
            {
                if (r is not null) new RecipeRunner(r, outDir, p, ctx.Note, new PipelineOptions { Device = ctx.Device }).RunTask(name, i, ctx.Cancel);
                else new ComparisonRunner(c!, outDir, p, ctx.Note, ctx.Device).RunTask(name, i, ctx.Cancel);
                return 0;
            });
            if (!stage.IsTaskDone(i))
                throw new InvalidOperationException($"{name} task {i} ({stage.TaskName(i)}): the runner returned but its outputs ({stage.Outputs}) are missing in {outDir}");
            ctx.WriteResult(new { unit = name, task = i, done = true }, w => w.WriteLine($"{name} task {i}: done"));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
