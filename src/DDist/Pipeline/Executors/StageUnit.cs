namespace DDist.Pipeline.Executors;

/// <summary>One stage of a recipe run as a scheduler sees it: <see cref="Tasks"/> independent tasks (an array job)
/// that may start once the units named in <see cref="After"/> have finished. Task i runs `ddist task NAME RECIPE
/// --task i`, which is the recipe runner restricted to that piece of work (<see cref="StagePlan.OptionsFor"/>).</summary>
/// <param name="IsTaskDone">Reads the output folder: true when task i's artefacts are there (finished work is never redone).</param>
public sealed record StageUnit(string Name, int Tasks, IReadOnlyList<string> After, string Description, Func<int, bool> IsTaskDone)
{
    public IEnumerable<int> MissingTasks() => Enumerable.Range(0, Tasks).Where(i => !IsTaskDone(i));
}
