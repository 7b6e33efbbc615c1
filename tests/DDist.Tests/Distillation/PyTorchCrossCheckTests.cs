using System.Text.Json;
using DDist.Distillation;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;
using DDist.Training.Experts;

namespace DDist.Tests.Distillation;

/// <summary>The production networks and loops against an independent PyTorch implementation
/// (tests/DDist.Tests/Python/mtt_crosscheck.py: a flat-parameter ConvNet as MTT's ReparamModule, the matching loss
/// of MTT's `distill.py`, the plain SGD epoch of `buffer.py`), on the same inputs and the same mini-batches,
/// exchanged through safetensors files.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class PyTorchCrossCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-torchcheck-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The reference's description of each production model: (name, net_width, norm).</summary>
    private static (int Width, string Norm) Describe(string model) => model switch
    {
        "ConvNet" => (128, "instancenorm"),
        "ConvNetW32" => (32, "instancenorm"),
        "ConvNetBN" => (128, "batchnorm"),
        _ => throw new ArgumentException(model),
    };

    private string WriteSpec(string model, int channels, int size, int classes)
    {
        var (width, norm) = Describe(model);
        var path = Path.Combine(_dir, model + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["channels"] = channels, ["height"] = size, ["width"] = size, ["classes"] = classes,
            ["net_width"] = width, ["depth"] = 3, ["norm"] = norm,
        }));
        return path;
    }

    /// <summary>Records which images (found by their unique first pixel) each mini-batch holds; changes nothing.</summary>
    private sealed class BatchRecorder(Tensor images)
    {
        private readonly Dictionary<double, int> _byFirstPixel = FirstPixels(images).Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i);
        public List<int[]> Batches { get; } = new();

        private static double[] FirstPixels(Tensor x)
        {
            using var scope = new TensorScope();
            using var noGrad = Tensors.NoGrad();
            return x.Detach().Flatten(1).Narrow(1, 0, 1).To(DType.Float64).Contiguous().ToArray<double>();
        }

        public Tensor Record(Tensor x)
        {
            Batches.Add(FirstPixels(x).Select(v => _byFirstPixel[v]).ToArray());
            return x;
        }

        public KeyValuePair<string, Tensor>[] AsTensors() =>
        [
            new("batches", Tensors.FromArray(Batches.SelectMany(b => b).Select(i => (long)i).ToArray())),
            new("batch_sizes", Tensors.FromArray(Batches.Select(b => (long)b.Length).ToArray())),
        ];
    }

    private static double RelativeError(double[] ours, double[] theirs)
    {
        Assert.Equal(theirs.Length, ours.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            diff += (ours[i] - theirs[i]) * (ours[i] - theirs[i]);
            norm += theirs[i] * theirs[i];
        }
        return Math.Sqrt(diff / Math.Max(norm, 1e-300));
    }

    /// <summary>Loss, ∂L/∂images and ∂L/∂α of 4 unrolled student steps (batch_syn 3 of 8 images: the short chunk first,
    /// then a new permutation), in float64, through the production <see cref="TrajectoryMatchingLoss"/>.</summary>
    [PythonTorchTheory]
    [InlineData("ConvNet", 1, 28)]      // instance norm, padding 3 on 1-channel 28×28
    [InlineData("ConvNetW32", 3, 32)]
    [InlineData("ConvNetBN", 1, 28)]    // batch statistics of each student mini-batch
    public void MatchingLossAndGradientsAgreeWithPyTorch(string model, int channels, int size)
    {
        const int n = 8, classes = 10;
        using var scope = new TensorScope();
        Tensors.ManualSeed(21);
        var net = ModelZoo.Create(model, channels, classes, size, size);
        var theta0 = net.InitParameters().To(DType.Float64);
        var thetaStar = theta0 + Tensors.Randn(theta0.Shape, DType.Float64) * 0.01;
        var images = Tensors.Randn([n, channels, size, size], DType.Float64).RequiresGrad_();
        var labels = Tensors.FromArray(Enumerable.Range(0, n).Select(i => (long)(i * 7 % classes)).ToArray());
        var lr = Tensors.Scalar(0.01, DType.Float64).RequiresGrad_();
        var recorder = new BatchRecorder(images);

        var loss = TrajectoryMatchingLoss.Compute(net, images, labels, lr, theta0, thetaStar, synSteps: 4, batchSyn: 3, augment: recorder.Record);
        var grads = Autograd.Grad([loss], [images, lr]);
        Assert.Equal([2, 3, 3, 2], recorder.Batches.Select(b => b.Length));

        var input = Path.Combine(_dir, "in.safetensors");
        var output = Path.Combine(_dir, "out.safetensors");
        SafeTensors.Save(input, [
            new("images", images.Detach()), new("labels", labels), new("lr", lr.Detach()),
            new("theta0", theta0), new("theta_star", thetaStar), .. recorder.AsTensors()]);
        PythonTorch.RunScript("mtt_crosscheck.py", "matching", WriteSpec(model, channels, size, classes), input, output);
        var (theirs, _) = SafeTensors.Load(output);
        try
        {
            double ourLoss = loss.Item(), theirLoss = theirs["loss"].ToArray<double>()[0];
            Assert.True(Math.Abs(ourLoss - theirLoss) <= 1e-10 * Math.Abs(theirLoss), $"{model}: loss {ourLoss} vs PyTorch {theirLoss}");
            double imageError = RelativeError(grads[0]!.Contiguous().ToArray<double>(), theirs["grad_images"].ToArray<double>());
            Assert.True(imageError < 1e-8, $"{model}: ∂L/∂images differs from PyTorch's by {imageError:E2} (relative)");
            double ourLr = grads[1]!.Item(), theirLr = theirs["grad_lr"].ToArray<double>()[0];
            Assert.True(Math.Abs(ourLr - theirLr) <= 1e-8 * Math.Abs(theirLr), $"{model}: ∂L/∂α {ourLr} vs PyTorch {theirLr}");
            Assert.True(Math.Abs(theirLr) > 0 && ourLoss > 0.5, "the check must not be vacuous");
        }
        finally
        {
            foreach (var t in theirs.Values) t.Dispose();
        }
    }

    /// <summary>One expert epoch as `buffer.py` trains it (plain SGD lr 0.01, no momentum, no weight decay, batch
    /// 16 of 40 images, last batch kept) through the production <see cref="Trainer"/> with <see cref="ExpertOptions"/>.</summary>
    [PythonTorchTheory]
    [InlineData("ConvNet", 1, 28)]
    [InlineData("ConvNetW32", 3, 32)]
    [InlineData("ConvNetBN", 1, 28)]
    public void ExpertEpochAgreesWithPyTorch(string model, int channels, int size)
    {
        const int n = 40, classes = 10;
        using var scope = new TensorScope();
        Tensors.ManualSeed(22);
        var net = ModelZoo.Create(model, channels, classes, size, size);
        var expert = new ExpertOptions { Model = model, NumExperts = 1, Epochs = 1, BatchSize = 16 };
        var images = Tensors.Randn([n, channels, size, size]);
        var labels = Tensors.FromArray(Enumerable.Range(0, n).Select(i => (long)(i * 3 % classes)).ToArray());
        var recorder = new BatchRecorder(images);
        var options = expert.ToTrainOptions("cross-check", (x, _) => recorder.Record(x));
        using var state = TrainingState.Create(net, options);
        var theta0 = state.Parameters.Detach().Clone();
        new Trainer(net, options).RunEpoch(state, new TrainingSet(images, labels));
        Assert.Equal([16, 16, 8], recorder.Batches.Select(b => b.Length));

        var input = Path.Combine(_dir, "in.safetensors");
        var output = Path.Combine(_dir, "out.safetensors");
        SafeTensors.Save(input, [
            new("images", images), new("labels", labels), new("lr", Tensors.Scalar(expert.LearningRate)),
            new("theta0", theta0), .. recorder.AsTensors()]);
        PythonTorch.RunScript("mtt_crosscheck.py", "expert", WriteSpec(model, channels, size, classes), input, output);
        var (theirs, _) = SafeTensors.Load(output);
        try
        {
            var start = theta0.ToArray<float>();
            var ours = state.Parameters.Detach().Contiguous().ToArray<float>().Select((v, i) => (double)v - start[i]).ToArray();
            var reference = theirs["theta"].ToArray<float>().Select((v, i) => (double)v - start[i]).ToArray();
            double error = RelativeError(ours, reference);
            Assert.True(error < 1e-3, $"{model}: the epoch's update differs from PyTorch's by {error:E2} (relative)");
            Assert.True(reference.Sum(v => v * v) > 0, "the check must not be vacuous");
        }
        finally
        {
            foreach (var t in theirs.Values) t.Dispose();
        }
    }

    /// <summary>One expert epoch with GSAM over SGD, as DATM's `buffer_FTD.py` trains (ρ, α, adaptive or plain; batch 16
    /// of 40 images), through the production <see cref="Trainer"/> with <see cref="ExpertOptions.Sharpness"/>, against
    /// the reference's per-tensor GSAM; ConvNet in float64 (agreement to round-off), ConvNetBN in float32 with its
    /// running statistics, which only each step's first pass may update. ρ is large here so that GSAM's update is far
    /// from SGD's and the check cannot pass with the perturbation ignored.</summary>
    [PythonTorchTheory]
    [InlineData("ConvNet", true, true)]
    [InlineData("ConvNet", true, false)]
    [InlineData("ConvNetBN", false, true)]
    public void GsamExpertEpochAgreesWithPyTorch(string model, bool float64, bool adaptive)
    {
        const int n = 40, classes = 10, channels = 1, size = 28;
        using var scope = new TensorScope();
        var dtype = float64 ? DType.Float64 : DType.Float32;
        var net = ModelZoo.Create(model, channels, classes, size, size);
        var gsam = new SharpnessAware { Rho = adaptive ? 2.0 : 0.5, Alpha = 0.4, Adaptive = adaptive };
        var expert = new ExpertOptions { Model = model, NumExperts = 1, Epochs = 1, BatchSize = 16, Sharpness = gsam };
        Tensors.ManualSeed(23);
        var theta0 = net.InitParameters().To(dtype);
        var images = Tensors.Randn([n, channels, size, size], dtype);
        var labels = Tensors.FromArray(Enumerable.Range(0, n).Select(i => (long)(i * 3 % classes)).ToArray());

        // The same epoch (same batches: the shuffle is drawn from the same seed) with GSAM and with plain SGD.
        Tensor Epoch(ExpertOptions o, BatchRecorder recorder, out NetState netState)
        {
            var options = o.ToTrainOptions("cross-check", (x, _) => recorder.Record(x));
            Tensors.ManualSeed(24);
            var state = new TrainingState(theta0.Clone(), net.CreateState(), new Sgd());
            new Trainer(net, options).RunEpoch(state, new TrainingSet(images, labels));
            netState = state.NetState;
            return state.Parameters.Detach().To(DType.Float64).Contiguous();
        }
        var recorder = new BatchRecorder(images);
        var ours = Epoch(expert, recorder, out var ourStats);
        var sgd = Epoch(expert with { Sharpness = null }, new BatchRecorder(images), out _);
        Assert.Equal([16, 16, 8], recorder.Batches.Select(b => b.Length));

        var input = Path.Combine(_dir, "in.safetensors");
        var output = Path.Combine(_dir, "out.safetensors");
        SafeTensors.Save(input, [
            new("images", images), new("labels", labels), new("lr", Tensors.Scalar(expert.LearningRate, dtype)),
            new("rho", Tensors.Scalar(gsam.Rho, dtype)), new("alpha", Tensors.Scalar(gsam.Alpha, dtype)),
            new("adaptive", Tensors.FromArray(new long[] { adaptive ? 1 : 0 })),
            new("theta0", theta0), .. recorder.AsTensors()]);
        PythonTorch.RunScript("mtt_crosscheck.py", "gsam", WriteSpec(model, channels, size, classes), input, output);
        var (theirs, _) = SafeTensors.Load(output);
        try
        {
            var start = theta0.To(DType.Float64).Contiguous().ToArray<double>();
            double[] Update(Tensor t) => t.To(DType.Float64).Contiguous().ToArray<double>().Select((v, i) => v - start[i]).ToArray();
            var reference = Update(theirs["theta"]);
            double error = RelativeError(Update(ours), reference), fromSgd = RelativeError(Update(sgd), reference);
            double tolerance = float64 ? 1e-9 : 1e-3;
            Assert.True(error < tolerance, $"{model}: the GSAM epoch's update differs from PyTorch's by {error:E2} (relative)");
            Assert.True(fromSgd > 100 * tolerance, $"{model}: plain SGD's update is only {fromSgd:E2} from GSAM's; the check would be vacuous");
            for (int k = 0; k < ourStats.Buffers.Count; k++)
            {
                var (mean, variance) = ourStats.Buffers[k];
                Assert.True(RelativeError(mean.To(DType.Float64).ToArray<double>(), theirs[$"running_mean_{k}"].To(DType.Float64).ToArray<double>()) < 1e-4, $"running mean {k}");
                Assert.True(RelativeError(variance.To(DType.Float64).ToArray<double>(), theirs[$"running_var_{k}"].To(DType.Float64).ToArray<double>()) < 1e-4, $"running var {k}");
            }
            Assert.Equal(model == "ConvNetBN" ? 3 : 0, ourStats.Buffers.Count);
        }
        finally
        {
            foreach (var t in theirs.Values) t.Dispose();
        }
    }
}
