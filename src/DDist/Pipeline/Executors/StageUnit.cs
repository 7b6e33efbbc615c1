using DDist.Pipeline.Stages;

namespace DDist.Pipeline.Executors;

/// <summary>A stage of a run as a scheduler sees it: <see cref="Tasks"/> independent tasks (an array job) that may start
/// once the units named in <see cref="After"/> have finished. Task i runs `ddist task NAME RECIPE --task i`, which is
/// <see cref="RecipeRunner.RunTask"/>: the stage's own <see cref="IStage{TContext}.RunTask"/>.</summary>
public sealed record StageUnit(IStage Stage, RunFolder Folder)
{
    public string Name => Stage.Name;
    public int Tasks => Stage.Tasks;
    public IReadOnlyList<string> After => Stage.After;
    public string Description => Stage.Description;
    public string Outputs => Stage.Outputs;
    public string TaskName(int task) => Stage.TaskName(task);

    /// <summary>Reads the output folder: true when task i's artefacts are there (finished work is never redone).</summary>
    public bool IsTaskDone(int task) => Stage.IsTaskDone(Folder, task);

    public IEnumerable<int> MissingTasks() => Enumerable.Range(0, Tasks).Where(i => !IsTaskDone(i));
}
