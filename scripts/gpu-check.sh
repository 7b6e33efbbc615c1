#!/usr/bin/env bash
# The GPU path in one run: builds the shim against the local PyTorch's libtorch, then runs the published ddist for
#   1. selftest: the engine's ops, first- and second-order gradients and a trajectory-matching gradient on the
#      device against CPU results (float32 and float64), and exact unrolling with DSA against full unrolling on the
#      device (the GPU generator's replay), and (--deterministic) that a matching gradient repeats bit for bit;
#   2. a larger matching-gradient check (ConvNet width 128, 50 MNIST-shaped images, 10 unrolled steps);
#   3. timings side by side with PyTorch on the same device: ConvNet training step, an expert epoch on MNIST (plain
#      SGD, and GSAM as FTD/DATM train experts),
#      peak GPU memory;
#   4. a short recipe end to end (recipes/mnist-gpu-check.json) with --device cuda;
#      then every other method at a few seconds' size: the comparison family (coresets, DC, DSA, DM), DD and SLD,
#      DATM soft labels;
#   5. one MTT iteration's gradient (bench case mtt-iteration, ConvNet width 32 and 128, N = 20): full, exact
#      bounded-memory and TESLA unrolling in DDist beside PyTorch's full unrolling, and exact at N = 10 vs 80;
#   6. on the GPU, the width-32 iteration again at N = 80 (full and exact unrolling, both sides).
# Without a GPU (or with --cpu) the same steps run on the CPU at sizes that take a minute or two (CI does this).
# Every step has a time limit and the run a budget (420 s on a GPU, 900 s on the CPU); one results file, gpu-check.json, is always
# written, saying what passed, failed, timed out or was skipped, with the numbers.
#
#   scripts/gpu-prepare.sh                 # here, with .NET: publishes ddist and ddist-bench, packs MNIST
#   scripts/gpu-check.sh [--cpu] [--out DIR] [--budget SECONDS] [--shim pytorch|system] [--only STEP,STEP...]
#
# --shim says which libtorch the shim is built against: pytorch (the local PyTorch's, the default on a GPU) or system
# (the one ./build.sh uses, the default on the CPU). `--cpu --shim pytorch` rehearses the GPU machine's build and
# every step on a CPU machine with a PyTorch 2.x installation.
# Results go to --out, else $OUT (the device tool's output folder), else artifacts/gpu-check/results.
# Binaries: artifacts/gpu-check/bin/{ddist,ddist-bench} (DDIST_BIN / DDIST_BENCH_BIN override); data:
# artifacts/gpu-check/data (DDIST_DATA overrides; without it, the repository's usual MNIST copy).
# --only runs the named steps alone (the others are recorded as skipped), e.g. `--only build-shim,mtt-n80-ddist,mtt-n80-pytorch`
# to repeat one measurement within what is left of a device's time.
# Exit status: 0 when no step failed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=auto
out="${OUT:-}"
budget=""
shim_from=""
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu ;;
    --cuda) mode=cuda ;;
    --out) out="$2"; shift ;;
    --budget) budget="$2"; shift ;;
    --only) only="$2"; shift ;;
    --shim) shim_from="$2"; shift
            case "$shim_from" in pytorch|system) ;; *) echo "gpu-check: --shim takes pytorch or system, not '$shim_from'" >&2; exit 2 ;; esac ;;
    *) echo "usage: scripts/gpu-check.sh [--cpu|--cuda] [--out DIR] [--budget SECONDS] [--shim pytorch|system] [--only STEP,...]" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$root/artifacts/gpu-check/results}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$root/artifacts/gpu-check/work"
rm -rf "$work"
mkdir -p "$work"
steps="$out/steps.tsv"
: > "$steps"
rm -f "$out/running"
t_start=$(date +%s)

# Python with torch (the PyTorch side and the CUDA probe) and any Python for the results file.
torch_py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then torch_py=$(command -v "$p"); break; fi
done
json_py=$(command -v python3 || echo /usr/bin/python3)
if [ "$mode" = auto ]; then
  mode=cpu
  if [ -n "$torch_py" ] && "$torch_py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then mode=cuda; fi
fi
device=$mode
shim_from="${shim_from:-$([ "$mode" = cuda ] && echo pytorch || echo system)}"
# The device run must end well inside 8 minutes; a CPU run (CI, a shared 2-core machine) may take longer.
budget="${budget:-$([ "$mode" = cuda ] && echo 420 || echo 900)}"
export mode device out root work torch_py json_py shim_from

ddist="${DDIST_BIN:-$root/artifacts/gpu-check/bin/ddist}"
bench="${DDIST_BENCH_BIN:-$root/artifacts/gpu-check/bin/ddist-bench}"
if [ -z "${DDIST_DATA:-}" ] && [ -d "$root/artifacts/gpu-check/data/mnist" ]; then export DDIST_DATA="$root/artifacts/gpu-check/data"; fi
export DDIST_ROOT="$root"
. native/malloc-env.sh

write_results() {
  "$json_py" - "$out" "$mode" "$t_start" "$budget" <<'EOF' || echo "gpu-check: could not write gpu-check.json" >&2
import json, os, sys, time
out, mode, t0, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
def tail(name, n=25):
    try:
        with open(os.path.join(out, name), errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []
steps = []
with open(os.path.join(out, "steps.tsv")) as f:
    for line in f:
        name, status, seconds, note = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
        s = {"name": name, "status": status, "seconds": float(seconds or 0)}
        if note: s["note"] = note
        if status in ("failed", "timeout"): s["log_tail"] = tail(name + ".log")
        steps.append(s)
# A step still marked as running when the script ended was cut short from outside (a kill, the caller's limit).
try:
    with open(os.path.join(out, "running")) as f:
        name = f.read().strip()
    steps.append({"name": name, "status": "interrupted", "log_tail": tail(name + ".log")})
except OSError:
    pass
doc = {
    "mode": mode, "shim": os.environ.get("shim_from"), "seconds": round(time.time() - t0, 1), "budget_seconds": budget,
    "passed": all(s["status"] in ("passed", "skipped") for s in steps) and any(s["status"] == "passed" for s in steps),
    "steps": steps, "environment": load("environment.json"),
    "selftest": load("selftest.json"), "matching_gradient": load("matching.json"),
    "bench": {"ddist": load("bench-ddist.json"), "pytorch": load("bench-pytorch.json")},
    "mtt_iteration": {k[:-5]: load(k) for k in sorted(os.listdir(out)) if k.startswith("mtt-") and k.endswith(".json")},
    "recipe": load("recipe.json"), "family": load("family-comparison.json"),
}
# The side-by-side ratios (DDist / PyTorch, >1 = DDist better) for every metric both sides report.
ratios = {}
for engine_pair in [("bench-ddist.json", "bench-pytorch.json")] + [(k, k.replace("-ddist", "-pytorch")) for k in os.listdir(out) if k.startswith("mtt-") and k.endswith("-ddist.json")]:
    a, b = load(engine_pair[0]), load(engine_pair[1])
    if not a or not b: continue
    for case, r in a.get("cases", {}).items():
        other = {m["name"]: m for m in b.get("cases", {}).get(case, {}).get("metrics", [])}
        for m in r.get("metrics", []):
            o = other.get(m["name"])
            if o and o["value"] and m["value"]:
                ratio = m["value"] / o["value"] if m["higher_is_better"] else o["value"] / m["value"]
                ratios[f"{engine_pair[0][:-5]}: {case}: {m['name']}"] = round(ratio, 3)
doc["ddist_vs_pytorch"] = ratios
# Whether the device repeats a matching gradient bit for bit in deterministic mode (the self-test's repeat checks).
doc["deterministic_repeat"] = [{"check": c["name"], "passed": c["passed"], "max_abs_diff": c["maxAbsDiff"], "error": c.get("error")}
                               for c in (doc["selftest"] or {}).get("results", []) if c["name"].startswith("deterministic mode repeats")]
tmp = os.path.join(out, "gpu-check.json.tmp")
with open(tmp, "w") as f:
    json.dump(doc, f, indent=2)
os.replace(tmp, os.path.join(out, "gpu-check.json"))
print(f"gpu-check: {sum(s['status'] == 'passed' for s in steps)} passed, {sum(s['status'] in ('failed', 'timeout', 'interrupted') for s in steps)} failed, "
      f"{sum(s['status'] == 'skipped' for s in steps)} skipped in {doc['seconds']} s ({mode}); results {os.path.join(out, 'gpu-check.json')}")
EOF
}
trap write_results EXIT
step_pid=""
on_signal() {
  [ -n "$step_pid" ] && kill -TERM -- "-$step_pid" 2>/dev/null
  exit 143
}
trap on_signal TERM INT

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >> "$steps"; }
skip() { record "$1" skipped 0 "$2"; echo "--- $1: skipped ($2)"; }

# step NAME LIMIT_SECONDS CMD...: runs CMD with its output in NAME.log, under the smaller of its limit and what is
# left of the budget; records passed / failed / timeout. Never stops the script.
step() {
  local name=$1 limit=$2
  shift 2
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then skip "$name" "not in --only"; return 1; fi
  local left=$((budget - ($(date +%s) - t_start)))
  if [ "$left" -lt 15 ]; then skip "$name" "budget of ${budget}s spent"; return 1; fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "--- $name (limit ${limit}s)"
  local t0 rc=0 status=passed
  t0=$(date +%s)
  echo "$name" > "$out/running"
  # In the background and waited for, so that a signal to this script reaches the step (timeout leads its own
  # process group) at once; a shell function runs in a child bash with its definition passed along.
  if declare -F "$1" >/dev/null; then
    timeout -k 10 "$limit" bash -c "$(declare -f "$1")"'; "$@"' _ "$@" > "$out/$name.log" 2>&1 &
  else
    timeout -k 10 "$limit" "$@" > "$out/$name.log" 2>&1 &
  fi
  step_pid=$!
  wait "$step_pid" || rc=$?
  step_pid=""
  [ "$rc" = 0 ] || status=failed
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && status=timeout
  rm -f "$out/running"
  record "$name" "$status" $(($(date +%s) - t0)) "$([ "$rc" = 0 ] || echo "exit $rc")"
  echo "    $status in $(($(date +%s) - t0))s"
  tail -n 3 "$out/$name.log" | sed 's/^/    /'
  [ "$status" = passed ]
}

# 0. What machine this is.
environment() {
  "$json_py" - "$torch_py" "$mode" <<'EOF' > "$out/environment.json"
import json, os, platform, shutil, subprocess, sys
torch_py, mode = sys.argv[1], sys.argv[2]
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:
        return f"unavailable: {e}"
env = {"mode": mode, "cpus": os.cpu_count(), "machine": platform.platform(),
       "compiler": run(os.environ.get("CXX", "c++"), "--version").splitlines()[:1], "cmake": run("cmake", "--version").splitlines()[:1]}
if shutil.which("nvidia-smi"):
    env["gpus"] = run("nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader").splitlines()
if torch_py:
    env["torch"] = run(torch_py, "-c", "import torch; print(torch.__version__, torch.version.cuda, torch.backends.cudnn.version() if torch.cuda.is_available() else None)")
print(json.dumps(env, indent=2))
EOF
  cat "$out/environment.json"
}
step environment 60 environment || true

# 1. The shim: on a GPU machine against PyTorch's libtorch; on the CPU the one ./build.sh built (or build it).
export shim_dir="$root/artifacts/gpu-check/native"
build_shim() {
  if [ "$shim_from" = pytorch ]; then
    [ -n "$torch_py" ] || { echo "no python3 that imports torch: cannot build against PyTorch's libtorch"; return 1; }
    PYTHON="$torch_py" native/build-shim-pytorch.sh "$shim_dir"
  elif [ -f "$root/artifacts/native/libddist_shim.so" ]; then
    mkdir -p "$shim_dir" && cp "$root/artifacts/native/libddist_shim.so" "$shim_dir/" && echo "reusing the shim ./build.sh built (system libtorch)"
  else
    native/build-shim.sh "$shim_dir"
  fi
}
have_ddist=1
for b in "$ddist" "$bench"; do
  [ -x "$b" ] || { echo "gpu-check: $b missing; run scripts/gpu-prepare.sh first" >&2; have_ddist=0; }
done
if step build-shim 300 build_shim && [ "$have_ddist" = 1 ]; then
  export DDIST_SHIM="$shim_dir/libddist_shim.so"
else
  [ "$have_ddist" = 1 ] || record binaries failed 0 "ddist/ddist-bench missing: run scripts/gpu-prepare.sh"
  exit 1
fi

# Sizes: on the GPU the published settings' scale; on the CPU small enough for CI.
if [ "$mode" = cuda ]; then
  match_args=(--matching-ipc 5 --syn-steps 10 --width 128 --depth 3 --image-size 28)
  bench_args=(--warmup 5 --steps 20 --batch 256 --expert-images 60000)
  recipe=recipes/mnist-gpu-check.json
  recipe_limit=200
else
  match_args=(--matching-ipc 2 --syn-steps 3 --width 16 --depth 3 --image-size 28)
  bench_args=(--warmup 1 --steps 3 --batch 64 --expert-images 512)
  recipe=recipes/mnist-gpu-check-cpu.json
  recipe_limit=600
fi
export threads cases ddist bench
threads=$(nproc)
cases=convnet-train-step,expert-epoch,expert-epoch-gsam

# 2. Self-test and the larger matching gradient (JSON on stdout; exit 1 when a comparison fails).
json_to() {
  local file=$1 rc=0
  shift
  "$@" --json > "$out/$file.tmp" || rc=$?
  if [ -s "$out/$file.tmp" ]; then mv "$out/$file.tmp" "$out/$file"; else rm -f "$out/$file.tmp"; fi
  return "$rc"
}
# --deterministic: the self-test also checks that a matching gradient repeats bit for bit with deterministic kernels.
step selftest 120 json_to selftest.json "$ddist" selftest --deterministic --device "$device" || true
step matching-gradient 150 json_to matching.json "$ddist" selftest --matching-only "${match_args[@]}" --device "$device" || true

# 3. Benchmarks, DDist then PyTorch, same settings and device.
bench_ddist() { "$bench" --threads "$threads" --device "$device" --dataset mnist --cases "$cases" "$@" --out "$out/bench-ddist.json"; }
bench_pytorch() { cd bench/pytorch && "$torch_py" bench.py --threads "$threads" --device "$device" --dataset mnist --cases "$cases" "$@" --out "$out/bench-pytorch.json"; }
step bench-ddist 180 bench_ddist "${bench_args[@]}" || true
if [ -n "$torch_py" ]; then step bench-pytorch 180 bench_pytorch "${bench_args[@]}" || true; else skip bench-pytorch "no python with torch"; fi
if [ -f "$out/bench-ddist.json" ] && [ -f "$out/bench-pytorch.json" ]; then
  "$json_py" bench/report.py "$out/bench-ddist.json" "$out/bench-pytorch.json" > "$out/bench-table.txt" 2>&1 || true
  cat "$out/bench-table.txt"
fi

# 4. The recipe end to end on the device.
step recipe "$recipe_limit" json_to recipe.json "$ddist" run "$recipe" --device "$device" --out "$work/recipe" || true
cp "$work/recipe/report.md" "$out/recipe-report.md" 2>/dev/null || true

# 4b. The other methods on the device, each at a few seconds' size: the comparison family (random, herding, k-center,
#     forgetting, DC, DSA, DM), DD and SLD (unrolled through 10 learned steps), DATM soft labels (10 unrolled steps
#     with DSA: exact recomputation replays the augmentation on the device's generator).
family() {
  "$ddist" compare recipes/mnist-family-gpu-check.json --device "$device" --out "$work/family" \
    && cp "$work/family/comparison.md" "$out/family-comparison.md" && cp "$work/family/comparison.json" "$out/family-comparison.json"
}
unrolled() {
  for m in dd sld; do "$ddist" distill recipes/mnist-dd-gpu-check.json --method "$m" --device "$device" --out "$work/$m" || return 1; done
}
soft_labels() { "$ddist" distill recipes/mnist-datm-gpu-check.json --method datm --device "$device" --out "$work/datm"; }
step family 120 family || true
step unrolled 90 unrolled || true
step soft-labels 90 soft_labels || true

# 5. One trajectory-matching iteration's gradient timed on both sides (bench case mtt-iteration: the DDist side runs
#    full unrolling, exact bounded-memory recomputation and TESLA, and exact recomputation at N = 10 vs 80 for its
#    peak memory; the PyTorch side the reference's full unrolling on the same inputs, and how far the gradients
#    agree). On the GPU: ConvNet width 32 (300 images) and ConvNet width 128 (100 images) at N = 20; on the CPU the
#    width-32 configuration at N = 2 (N = 2 vs 16 for the memory rows), which only checks the path end to end.
if [ "$mode" = cuda ]; then
  mtt_args=(--mtt-configs w32,convnet --warmup 1 --steps 3)
  mtt_limit=150
else
  mtt_args=(--mtt-configs w32 --mtt-syn-steps 2 --warmup 1 --steps 3)
  mtt_limit=120
fi
a=(--threads "$threads" --device "$device" --cases mtt-iteration "${mtt_args[@]}")
# Both sides exchange their inputs and gradients as safetensors beside --out, so both write into $out.
if step mtt-ddist "$mtt_limit" "$bench" "${a[@]}" --out "$out/mtt-ddist.json"; then
  if [ -n "$torch_py" ]; then
    step mtt-pytorch "$mtt_limit" bash -c 'cd bench/pytorch && "$0" bench.py "$@"' "$torch_py" "${a[@]}" --out "$out/mtt-pytorch.json" || true
  else
    skip mtt-pytorch "no python with torch"
  fi
  if [ -f "$out/mtt-pytorch.json" ]; then
    "$json_py" bench/report.py "$out/mtt-ddist.json" "$out/mtt-pytorch.json" > "$out/mtt-table.txt" 2>&1 || true
    cat "$out/mtt-table.txt"
  fi
else
  skip mtt-pytorch "the DDist side (it draws the inputs) did not pass"
fi

# 6. On the GPU, the width-32 iteration again at N = 80, full unrolling beside exact recomputation on both sides'
#    terms (full unrolling's memory grows with N, exact's does not), after the N = 20 pair has used its inputs.
if [ "$mode" = cuda ]; then
  a=(--threads "$threads" --device "$device" --cases mtt-iteration --mtt-configs w32 --mtt-syn-steps 80 --warmup 1 --steps 2)
  if step mtt-n80-ddist 120 "$bench" "${a[@]}" --out "$out/mtt-n80-ddist.json"; then
    if [ -n "$torch_py" ]; then
      step mtt-n80-pytorch 120 bash -c 'cd bench/pytorch && "$0" bench.py "$@"' "$torch_py" "${a[@]}" --out "$out/mtt-n80-pytorch.json" || true
      if [ -f "$out/mtt-n80-pytorch.json" ]; then
        "$json_py" bench/report.py "$out/mtt-n80-ddist.json" "$out/mtt-n80-pytorch.json" > "$out/mtt-n80-table.txt" 2>&1 || true
        cat "$out/mtt-n80-table.txt"
      fi
    fi
  fi
fi

if grep -qP '\t(failed|timeout)\t' "$steps"; then exit 1; fi
