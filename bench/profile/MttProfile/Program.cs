// One MTT inner loop in DDist on the inputs bench/profile/mtt_profile.py dumped, timed, with the gradients
// compared to PyTorch's (cosine and max relative difference). The loop mirrors TrajectoryMatchingLoss but takes the
// dumped batch indices, so both sides do exactly the same work.
//   dotnet run -c Release --project bench/profile/MttProfile -- /tmp/mtt32 --width 32 --iters 3 [--trace t.json]
using System.Diagnostics;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;

string dir = args[0];
int width = 32, iters = 3, threads = 2;
string? trace = null;
var norm = NormKind.InstanceNorm;
for (int i = 1; i < args.Length; i += 2)
    switch (args[i])
    {
        case "--width": width = int.Parse(args[i + 1]); break;
        case "--iters": iters = int.Parse(args[i + 1]); break;
        case "--threads": threads = int.Parse(args[i + 1]); break;
        case "--trace": trace = args[i + 1]; break;   // profile the last iteration into this Chrome trace
        case "--norm": norm = args[i + 1] switch { "batch" => NormKind.BatchNorm, "none" => NormKind.None, _ => NormKind.InstanceNorm }; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
Tensors.SetNumThreads(threads);
Tensor Load(string name) => Npy.Load(Path.Combine(dir, name + ".npy")).ToTensor();
var images = Load("images");
var labels = Load("labels");
var theta0 = Load("theta0");
var thetaStar = Load("theta_star");
var lr0 = Load("lr").Reshape([]);
var idx = Load("idx");
var refGradImages = Load("grad_images");
var refGradLr = Load("grad_lr");
var net = ConvNet.Create(new ConvNetOptions((int)images.Size(1), 10, (int)images.Size(2), (int)images.Size(3)) { Width = width, Norm = norm });
if (net.ParameterCount != theta0.Size(0)) throw new InvalidOperationException($"parameter count {net.ParameterCount} vs dump {theta0.Size(0)}");
int synSteps = (int)idx.Size(0);

var times = new List<double>();
var cpus = new List<double>();
double[] gi = [], ga = [];
double loss = 0;
for (int it = 0; it < iters; it++)
{
    using var scope = new TensorScope();
    using var profiler = trace is not null && it == iters - 1 ? OpProfiler.Start(trace) : null;
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var img = images.Detach().RequiresGrad_();
    var alpha = lr0.Detach().RequiresGrad_();
    var theta = theta0.Detach().RequiresGrad_();
    for (int s = 0; s < synSteps; s++)
    {
        var i = idx.Select(0, s);
        var logits = net.Forward(img.IndexSelect(0, i), theta, null, training: true);
        var ce = Functional.CrossEntropy(logits, labels.IndexSelect(0, i));
        var g = Autograd.Grad([ce], [theta], createGraph: true)[0]!;
        theta = theta - alpha * g;
    }
    var l = (theta - thetaStar).Square().Sum() / (theta0 - thetaStar).Square().Sum();
    var grads = Autograd.Grad([l], [img, alpha]);
    loss = l.Item();
    gi = grads[0]!.To(DType.Float64).ToArray<double>();
    ga = grads[1]!.To(DType.Float64).ToArray<double>();
    times.Add(sw.Elapsed.TotalSeconds);
    cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
}
static (double Cos, double MaxRel) Agree(double[] a, double[] b)
{
    double dot = 0, na = 0, nb = 0, maxDiff = 0, maxRef = 0;
    for (int i = 0; i < a.Length; i++)
    {
        dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i];
        maxDiff = Math.Max(maxDiff, Math.Abs(a[i] - b[i])); maxRef = Math.Max(maxRef, Math.Abs(b[i]));
    }
    return (dot / Math.Sqrt(na * nb), maxDiff / maxRef);
}
var (cosI, relI) = Agree(gi, refGradImages.To(DType.Float64).ToArray<double>());
var refLr = refGradLr.To(DType.Float64).ToArray<double>()[0];
var sorted = times.OrderBy(t => t).ToList();
Console.WriteLine($"ddist   mtt width {width} norm {norm}: {string.Join(" ", times.Select(t => t.ToString("F3")))} s  (median {sorted[sorted.Count / 2]:F3}); cpu s {string.Join(" ", cpus.Select(t => t.ToString("F3")))} (min {cpus.Min():F3})  loss {loss:F6}");
Console.WriteLine($"  grad images: cosine {cosI:F12}, max |diff|/max|ref| {relI:E2}; grad lr {ga[0]:E6} vs {refLr:E6} (rel {Math.Abs(ga[0] - refLr) / Math.Abs(refLr):E2})");
