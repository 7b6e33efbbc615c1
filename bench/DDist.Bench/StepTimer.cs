using DDist.Torch;
using System.Diagnostics;

namespace DDist.Bench;

/// <summary>Wall-clock and process CPU seconds (all threads) of each timed step.</summary>
public sealed record StepTimes(double[] Wall, double[] Cpu);

/// <summary>The timing protocol both sides follow (bench/pytorch/timing.py is its twin): run the step
/// <c>warmup</c> times untimed (allocator, oneDNN primitive caches and thread pools settle), then time each of
/// <c>timed</c> steps on its own. The median step is the headline figure, since other processes on a shared
/// machine inflate single steps, not the typical one. CPU time is kept too: on a busy machine it shows whether
/// both engines do the same work even when their wall-clock shares of the CPUs differ.</summary>
public static class StepTimer
{
    public static StepTimes Measure(int warmup, int timed, Action step)
    {
        for (int i = 0; i < warmup; i++) step();
        var wall = new double[timed];
        var cpu = new double[timed];
        for (int i = 0; i < timed; i++)
        {
            var c0 = Environment.CpuUsage.TotalTime;
            long t0 = Stopwatch.GetTimestamp();
            step();
            Tensors.CudaSynchronize();   // CUDA runs asynchronously: the step is done when the device is (no-op on CPU)
            wall[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            cpu[i] = (Environment.CpuUsage.TotalTime - c0).TotalSeconds;
        }
        return new StepTimes(wall, cpu);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
