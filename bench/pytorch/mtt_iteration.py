"""PyTorch side of the mtt-iteration case: the gradient of one MTT outer iteration as the reference computes it
(Cazenavette et al. 2022, distill.py with ReparamModule: one flat parameter vector, syn_steps SGD steps whose
gradients keep their graph (create_graph=True), L = |theta_N - theta*|^2 / |theta_0 - theta*|^2, backward into the
images and the step size). It loads the inputs DDist drew (bench/results/mtt-KEY-inputs.safetensors), so both sides
differentiate the same function at the same point, saves its gradients beside DDist's and reports how well they
agree. Each configuration runs in a fresh child process, so its peak memory is that run's own: on the CPU the peak
resident memory (VmHWM), on CUDA torch.cuda.max_memory_allocated. With --device cuda the inputs (read on the CPU) are
moved to the GPU and each timed iteration ends with torch.cuda.synchronize()."""
import json
import math
import os
import struct
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

import tensor_memory

CONFIGS = [("w32", 3), ("convnet", 2), ("convnetbn", 2)]   # (key, timed iterations), as bench/DDist.Bench/MttIteration.cs
DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


def load_safetensors(path):
    """Minimal reader (the format: 8-byte little-endian header size, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + b:base + end]), dtype=DTYPES[e["dtype"]]) if end > b \
            else torch.empty(0, dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out, meta


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def convnet(layout, batch_norm):
    """Forward of the reference ConvNet (conv3x3 -> instance norm (GroupNorm(C, C)) or batch norm (batch
    statistics) -> ReLU -> AvgPool 2, repeated; then Linear) as a function of one flat parameter vector, slots in
    PyTorch's parameters() order as DDist's layout lists them."""
    shapes = [(s["name"], s["shape"]) for s in layout]

    def forward(x, flat):
        params, off = [], 0
        for _, shape in shapes:
            n = math.prod(shape)
            params.append(flat[off:off + n].view(shape))
            off += n
        h, i, first = x, 0, True
        while i < len(params) - 2:
            w, b = params[i], params[i + 1]
            h = F.conv2d(h, w, b, padding=3 if first and x.shape[1] == 1 else 1)
            first = False
            g, beta = params[i + 2], params[i + 3]
            if batch_norm:
                h = F.batch_norm(h, None, None, g, beta, training=True, eps=1e-5)
            else:
                h = F.group_norm(h, h.shape[1], g, beta, eps=1e-5)
            h = F.avg_pool2d(F.relu(h), 2)
            i += 4
        return F.linear(h.flatten(1), params[-2], params[-1])

    return forward


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def child(results_dir, key, warmup, timed, threads, device, dtype="float32"):
    torch.set_num_threads(threads)
    device = torch.device(device)
    cuda = device.type == "cuda"
    # On the CPU the shim's count of tensor bytes as well (the DDist child reports the same), where it loads.
    tensors_counted = not cuda and tensor_memory.load(os.environ.get("DDIST_SHIM")) is None
    t, meta = load_safetensors(os.path.join(results_dir, f"mtt-{key}-inputs.safetensors"))
    # float64: the same iteration on the same inputs, untimed, as the reference both float32 gradients are measured
    # against (how far float32 itself drifts over N unrolled steps bounds the agreement any two engines can reach).
    wide = dtype == "float64"
    t = {k: (v.double() if wide and v.is_floating_point() else v).to(device) for k, v in t.items()}
    net = convnet(json.loads(meta["layout"]), meta["batch_norm"] == "1")
    theta0, target, labels, batches = t["theta0"], t["theta_star"], t["labels"], t["batches"]
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    elif tensors_counted:
        tensor_memory.reset_peak()
    start_kib = torch.cuda.memory_allocated(device) // 1024 if cuda else status_kib("VmRSS")
    seconds, cpu_seconds, out = [], [], None
    for it in range(warmup + timed):
        c0 = time.process_time()
        t0 = time.perf_counter()
        image_syn = t["images"].clone().requires_grad_(True)
        syn_lr = t["alpha"].clone().requires_grad_(True)
        student_params = [theta0.clone().requires_grad_(True)]
        for step in range(batches.shape[0]):
            idx = batches[step]
            ce = F.cross_entropy(net(image_syn[idx], student_params[-1]), labels[idx])
            grad = torch.autograd.grad(ce, student_params[-1], create_graph=True)[0]
            student_params.append(student_params[-1] - syn_lr * grad)
        loss = (student_params[-1] - target).pow(2).sum() / (theta0 - target).pow(2).sum()
        loss.backward()
        if cuda:
            torch.cuda.synchronize(device)   # asynchronous: the iteration is done when the device is
        s = time.perf_counter() - t0
        if it >= warmup:
            seconds.append(round(s, 4))
            cpu_seconds.append(round(time.process_time() - c0, 4))
        if it == 0:
            out = {"images": image_syn.grad, "alpha": syn_lr.grad, "loss": torch.tensor(loss.item(), dtype=torch.float64)}
        del student_params, loss, image_syn, syn_lr
    save_safetensors(os.path.join(results_dir, f"mtt-{key}-{'float64' if wide else 'pytorch'}-grads.safetensors"), out)
    peak_kib = torch.cuda.max_memory_allocated(device) // 1024 if cuda else status_kib("VmHWM")
    result = {"mode": "full", "syn_steps": int(batches.shape[0]), "seconds": seconds, "cpu_seconds": cpu_seconds,
              "device": str(device), "peak_memory": "CUDA max_memory_allocated" if cuda else "VmHWM",
              "start_kib": start_kib, "peak_kib": peak_kib, "loss": out["loss"].item()}
    if tensors_counted:
        result["tensor_peak_kib"] = tensor_memory.peak_bytes() // 1024
    print(json.dumps(result))


def compare(a, b):
    """Agreement of gradient file a with reference b (the same quantities as MttIteration.Compare)."""
    ta, _ = load_safetensors(a)
    tb, _ = load_safetensors(b)
    ga, gb = ta["images"].double().flatten(), tb["images"].double().flatten()
    la, lb = ta["alpha"].double().item(), tb["alpha"].double().item()
    return {"image_grad_cosine": (ga @ gb / (ga.norm() * gb.norm())).item(),
            "image_grad_rel_norm_diff": ((ga - gb).norm() / gb.norm()).item(),
            "alpha_grad_rel_diff": abs(la - lb) / abs(lb),
            "loss_rel_diff": abs(ta["loss"].item() - tb["loss"].item()) / abs(tb["loss"].item())}


def run(s):
    results_dir = os.path.dirname(os.path.abspath(s.out))
    metrics, details = [], {}
    chosen = [k.strip() for k in s.mtt_configs.split(",") if k.strip()]
    for key, timed_max in CONFIGS:
        if key not in chosen:
            continue
        inputs = os.path.join(results_dir, f"mtt-{key}-inputs.safetensors")
        if not os.path.exists(inputs):   # the DDist side draws the inputs first, or skips a configuration that does not fit
            print(f"  mtt-iteration {key}: skipped ({inputs} missing: see the DDist side)")
            details[key] = {"skipped": f"{inputs} missing (DDist skipped it or did not run first)"}
            continue
        timed, warmup = max(1, min(s.steps, timed_max)), min(s.warmup, 1)
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", results_dir, key, str(warmup), str(timed),
                               str(s.threads), s.device], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise RuntimeError(f"mtt-iteration child {key} failed with exit code {proc.returncode}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if s.mtt_syn_steps and r["syn_steps"] != s.mtt_syn_steps:
            raise RuntimeError(f"mtt-iteration {key}: {inputs} holds N={r['syn_steps']} steps, --mtt-syn-steps asks for "
                               f"{s.mtt_syn_steps}: run the DDist side with the same options first")
        print(f"  mtt-iteration {key} full N={r['syn_steps']}: {' '.join(f'{x:.2f}' for x in r['seconds'])} s, "
              f"peak {r['peak_kib'] / 1024:.0f} MiB" +
              (f" ({r['tensor_peak_kib'] / 1024:.0f} MiB in tensors)" if "tensor_peak_kib" in r else ""))
        sec = sorted(r["seconds"])
        median = sec[len(sec) // 2] if len(sec) % 2 else (sec[len(sec) // 2 - 1] + sec[len(sec) // 2]) / 2
        metrics.append({"name": f"{key} s/iter", "value": median, "higher_is_better": False})
        metrics.append({"name": f"{key} peak MiB", "value": r["peak_kib"] / 1024, "higher_is_better": False})
        if "tensor_peak_kib" in r:
            metrics.append({"name": f"{key} tensor peak MiB", "value": r["tensor_peak_kib"] / 1024, "higher_is_better": False})
        d = {"device": s.device, "full": r}
        ddist = os.path.join(results_dir, f"mtt-{key}-ddist-grads.safetensors")
        if os.path.exists(ddist):
            d["ddist_vs_pytorch"] = compare(ddist, os.path.join(results_dir, f"mtt-{key}-pytorch-grads.safetensors"))
        if s.device == "cpu":   # the float64 reference (untimed); CUDA's float64 is too slow on some parts to be worth it
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", results_dir, key, "0", "1",
                                   str(s.threads), s.device, "float64"], capture_output=True, text=True)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise RuntimeError(f"mtt-iteration float64 child {key} failed with exit code {proc.returncode}")
            wide = os.path.join(results_dir, f"mtt-{key}-float64-grads.safetensors")
            d["pytorch_vs_float64"] = compare(os.path.join(results_dir, f"mtt-{key}-pytorch-grads.safetensors"), wide)
            if os.path.exists(ddist):
                d["ddist_vs_float64"] = compare(ddist, wide)
        details[key] = d
    return {"metrics": metrics, "details": details}


if __name__ == "__main__":
    if len(sys.argv) in (8, 9) and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], *sys.argv[8:])
    else:
        sys.exit("run through bench.py (case mtt-iteration)")
