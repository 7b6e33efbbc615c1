"""PyTorch side of the engine benchmark: runs the named cases and writes their results as JSON (same shape as
bench/DDist.Bench's) for bench/report.py. Each case is a module with run(settings) -> {"metrics", "details"};
register new ones in CASES under the name the C# side uses."""
import argparse
import json
import os
import sys

import torch

import convnet_step
import eval_run
import expert_epoch
import mtt_iteration
import family
import tensor_memory
import tiny_op

CASES = {
    "convnet-train-step": convnet_step.run,
    "tiny-op": tiny_op.run,
    "expert-epoch": expert_epoch.run,
    "expert-epoch-gsam": expert_epoch.run_gsam,
    "eval-run": eval_run.run,
    "mtt-iteration": mtt_iteration.run,
    "dm-iteration": family.run_dm,
    "dc-outer-iteration": family.run_dc,
}
# Cases that do their work in child processes and report each one's peak themselves.
REPORTS_OWN_PEAK = {"mtt-iteration"}


def physical_cores():
    cores = set()
    phys = "0"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    cores.add((phys, line.split(":")[1].strip()))
    except OSError:
        pass
    return min(len(cores), os.cpu_count()) if cores else os.cpu_count()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--tiny-calls", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--expert-images", type=int, default=5120)
    ap.add_argument("--eval-epochs", type=int, default=20)
    ap.add_argument("--mtt-configs", default="w32,convnet,convnetbn")
    ap.add_argument("--mtt-syn-steps", type=int, default=0,
                    help="mtt-iteration: N for every configuration (0 = their own); the DDist side draws the inputs with it")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist or mnist (the pipeline cases' data)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--out", default=os.path.join("bench", "results", "pytorch.json"))
    s = ap.parse_args()
    if s.threads <= 0:
        s.threads = physical_cores()
    torch.set_num_threads(s.threads)
    device = torch.device(s.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit(f"--device {s.device}: this torch ({torch.__version__}) sees no CUDA device")
    print(f"pytorch: torch {torch.__version__}, threads {torch.get_num_threads()}, grad enabled {torch.is_grad_enabled()}, device {device}")
    cpu_memory = device.type == "cpu"
    if cpu_memory and (why := tensor_memory.load(os.environ.get("DDIST_SHIM"))):
        print(f"pytorch: no CPU peak memory column: {why}", file=sys.stderr)
        cpu_memory = False

    results = {}
    for name in [c.strip() for c in s.cases.split(",") if c.strip()]:
        if name not in CASES:
            sys.exit(f"unknown case '{name}'; known: {', '.join(CASES)}")
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        elif cpu_memory:
            tensor_memory.reset_peak()
        r = CASES[name](s)
        # The most memory the case's tensors held at once, as the C# side reports it.
        peak = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
                else tensor_memory.peak_bytes() if cpu_memory else 0)
        if name not in REPORTS_OWN_PEAK and peak > 0:
            r["metrics"].append({"name": "peak MiB", "value": peak / 1048576, "higher_is_better": False})
        print(f"pytorch {name}: " + ", ".join(f"{m['name']} {m['value']:.4g}" for m in r["metrics"]))
        results[name] = r

    doc = {"engine": "pytorch", "torch_version": torch.__version__, "threads": torch.get_num_threads(), "device": str(device),
           "settings": vars(s), "cases": results}
    os.makedirs(os.path.dirname(os.path.abspath(s.out)), exist_ok=True)
    tmp = s.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, s.out)


if __name__ == "__main__":
    main()
