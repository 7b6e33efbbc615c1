using System.Diagnostics;
using System.Globalization;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

// Usage: DDist.SelMatchBench DATASET MODEL [syn_steps batch_syn synthetic_count]
//   Prints images/second of training (plain and with DSA), of eval-mode inference, and seconds per distillation iteration.
// Usage: DDist.SelMatchBench run RECIPE.json OUTDIR
//   Runs a whole recipe (experts, scores, window, MTT, SelMatch, evaluation, report) and times every stage.
if (args.Length > 0 && args[0] == "run")
{
    if (Environment.GetEnvironmentVariable("DDIST_MALLOC_TUNE") != "0") MallocTuning.Apply();
    Tensors.SetNumThreads(int.Parse(Environment.GetEnvironmentVariable("DDIST_THREADS") ?? Tensors.PhysicalCores().ToString()));
    return RecipeRun.Run(args[1], args[2]);
}
var dataset = args.Length > 0 ? args[0] : "fashion-mnist";
var model = args.Length > 1 ? args[1] : "ConvNetW32";
int synSteps = args.Length > 2 ? int.Parse(args[2]) : 10;
int batchSyn = args.Length > 3 ? int.Parse(args[3]) : 100;
int synCount = args.Length > 4 ? int.Parse(args[4]) : 3000;
// glibc hands every allocation above its mmap threshold (≤ 32 MB) straight to mmap/munmap, so each large activation
// costs fresh page faults: 4–6× slower training on this machine. DDIST_MALLOC_TUNE=0 measures the untuned behaviour.
if (Environment.GetEnvironmentVariable("DDIST_MALLOC_TUNE") != "0") MallocTuning.Apply();
Tensors.SetNumThreads(int.Parse(Environment.GetEnvironmentVariable("DDIST_THREADS") ?? Tensors.PhysicalCores().ToString()));
Console.WriteLine($"threads {Tensors.NumThreads}");

var clock = Stopwatch.StartNew();
var raw = DatasetRegistry.Load(dataset);
var norm = DatasetRegistry.GetSpec(dataset).DefaultNormalization;
using var train = ImageDataset.FromRaw(raw.Train, norm, Device.Cpu, raw.Name);
using var test = ImageDataset.FromRaw(raw.Test, norm, Device.Cpu, raw.Name);
Console.WriteLine($"load {clock.Elapsed.TotalSeconds:F1} s ({train.Count} train, {test.Count} test)");

var net = ModelZoo.Create(model, train.Channels, train.NumClasses, train.Height, train.Width);
Console.WriteLine($"{net.Name}: {net.ParameterCount} parameters");
Tensors.ManualSeed(0);
using var theta = net.InitParameters().RequiresGrad_();
using var state = net.CreateState();
var sgd = new Sgd(0.9, 5e-4);
var strategy = DsaStrategies.ForDataset(dataset);

double TrainRate(int batch, int images, bool dsa)
{
    var sw = Stopwatch.StartNew();
    for (int start = 0; start < images; start += batch)
    {
        using var scope = new TensorScope();
        var x = train.Images.Narrow(0, start, batch);
        if (dsa) x = Dsa.Augment(x, strategy, DsaParams.Default);
        var loss = Functional.CrossEntropy(net.Forward(x, theta, state, true), train.Labels.Narrow(0, start, batch));
        sgd.Step(theta, Autograd.Grad(loss, theta), 0.01);
    }
    return images / sw.Elapsed.TotalSeconds;
}

TrainRate(256, 1024, false); // warm-up
// Best of three: the machine is shared, so the fastest repeat is the closest to the uncontended speed.
foreach (var b in new[] { 128, 256 })
{
    Console.WriteLine($"train batch {b}: {Enumerable.Range(0, 3).Max(_ => TrainRate(b, 2560, false)):F0} img/s");
    Console.WriteLine($"train batch {b} + DSA: {Enumerable.Range(0, 3).Max(_ => TrainRate(b, 2560, true)):F0} img/s");
}
clock.Restart();
var acc = Trainer.Accuracy(net, theta, state, test, 256);
Console.WriteLine($"test inference: {test.Count / clock.Elapsed.TotalSeconds:F0} img/s (acc {acc:F3})");

// One distillation iteration: synCount images (half learnable), N unrolled steps of batchSyn, DSA, θ* a perturbed θ₀.
using var syn = Tensors.Randn([synCount / 2, train.Channels, train.Height, train.Width]).RequiresGrad_();
using var frozen = Tensors.Randn([synCount - synCount / 2, train.Channels, train.Height, train.Width]);
using var labels = Tensors.RandInt(0, train.NumClasses, [synCount]);
using var theta0 = net.InitParameters();
using var target = theta0 + Tensors.Randn(theta0.Shape) * 0.01;
using var lr = Tensors.Scalar(0.01).RequiresGrad_();
for (int it = 0; it < 3; it++)
{
    clock.Restart();
    using var scope = new TensorScope();
    var loss = TrajectoryMatchingLoss.Compute(net, Tensors.Cat([syn, frozen]), labels, lr, theta0, target, synSteps, batchSyn,
                                              x => Dsa.Augment(x, strategy, DsaParams.Default));
    var g = Autograd.Grad([loss], [syn, lr]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"distill iteration (N={synSteps}, batch_syn={batchSyn}, {synCount} images): {clock.Elapsed.TotalSeconds:F2} s, loss {loss.Item():F4}"));
}
return 0;

/// <summary>Keeps freed native memory in the heap for reuse instead of returning it to the kernel.</summary>
internal static partial class MallocTuning
{
    private const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_MAX = -4;

    [System.Runtime.InteropServices.LibraryImport("libc")] private static partial int mallopt(int param, int value);

    public static void Apply()
    {
        mallopt(M_MMAP_MAX, 0);                  // never serve allocations by mmap
        mallopt(M_TRIM_THRESHOLD, 1 << 30);      // do not give the heap top back below 1 GiB
        mallopt(M_TOP_PAD, 256 << 20);           // grow the heap in 256 MiB steps
    }
}
