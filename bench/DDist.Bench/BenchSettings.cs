using DDist.Torch;

namespace DDist.Bench;

/// <summary>Settings shared by every case; bench/run.sh passes the same values to the PyTorch side.</summary>
public sealed record BenchSettings(int Threads, int Warmup, int Timed, int Batch, int TinyOpCalls, ulong Seed, int ExpertImages = 5120, int EvalEpochs = 20,
                                   string MttConfigs = "w32,convnet,convnetbn", string Device = "cpu", string Dataset = "fashion-mnist",
                                   int MttSynSteps = 0, string ResultsDir = "bench/results")
{
    /// <summary>Where the cases run (--device cpu|cuda|cuda:N); tensors are drawn on the CPU and moved there, so both
    /// sides start from the same numbers on any device.</summary>
    public Device TorchDevice => DDist.Torch.Device.Parse(Device);

    // MttSynSteps: 0 = each mtt-iteration configuration's own N; else every configuration unrolls this many steps
    // (a quick run, e.g. the CPU mode of scripts/gpu-check.sh). ResultsDir: the folder of --out, where cases that
    // exchange files with the PyTorch side (mtt-iteration's inputs and gradients) put them.

    public static BenchSettings Parse(string[] args, out string[] cases, out string outPath)
    {
        var s = new BenchSettings(Threads: 0, Warmup: 3, Timed: 10, Batch: 256, TinyOpCalls: 100_000, Seed: 0);
        cases = BenchCases.All.Select(c => c.Name).ToArray();
        outPath = Path.Combine("bench", "results", "ddist.json");
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--threads": s = s with { Threads = int.Parse(Value()) }; break;
                case "--warmup": s = s with { Warmup = int.Parse(Value()) }; break;
                case "--steps": s = s with { Timed = int.Parse(Value()) }; break;
                case "--batch": s = s with { Batch = int.Parse(Value()) }; break;
                case "--tiny-calls": s = s with { TinyOpCalls = int.Parse(Value()) }; break;
                case "--seed": s = s with { Seed = ulong.Parse(Value()) }; break;
                case "--expert-images": s = s with { ExpertImages = int.Parse(Value()) }; break;
                case "--eval-epochs": s = s with { EvalEpochs = int.Parse(Value()) }; break;
                case "--mtt-configs": s = s with { MttConfigs = Value() }; break;
                case "--device": s = s with { Device = Value() }; break;
                case "--dataset": s = s with { Dataset = Value() }; break;
                case "--mtt-syn-steps":
                    s = s with { MttSynSteps = int.Parse(Value()) };
                    if (s.MttSynSteps < 1) throw new ArgumentException("--mtt-syn-steps: expected a positive number of unrolled steps");
                    break;
                case "--cases": cases = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--out": outPath = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]} (--threads --warmup --steps --batch --tiny-calls --seed --expert-images --eval-epochs --mtt-configs --mtt-syn-steps --device --dataset --cases --out)");
            }
        }
        return s with { ResultsDir = Path.GetDirectoryName(Path.GetFullPath(outPath))! };
    }
}
