#!/usr/bin/env bash
# Engine benchmark: the same work in DDist (C#) and PyTorch (Python, same libtorch), side by side.
#   bench/run.sh [--cases a,b] [--threads N] [--warmup W] [--steps S] ...   (options go to both programs)
# Needs /usr/bin/python3 with torch (Debian python3-torch; ./build.sh bench installs it). Installs nothing itself.
# PYTHON picks another interpreter; DDIST_BENCH_BIN a prebuilt ddist-bench (scripts/gpu-prepare.sh publishes one),
# which skips the .NET build (scripts/rehearse-gpu-check.sh --bench runs it so, where there is no .NET).
# Prints a table and, as its last line: "mtt-iteration ddist/pytorch speed ratio: X.XX" (when that case ran).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. native/malloc-env.sh   # same allocator settings for both sides

PYTHON="${PYTHON:-/usr/bin/python3}"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "bench: $PYTHON cannot import torch; install python3-torch (./build.sh bench does)" >&2
  exit 1
fi

# One thread count for both sides: physical cores unless --threads is given.
threads=$(awk -F: '/^physical id/{p=$2} /^core id/{print p":"$2}' /proc/cpuinfo | sort -u | wc -l)
[ "$threads" -ge 1 ] || threads=$(nproc)
args=(--threads "$threads" "$@")

mkdir -p bench/results
if [ -n "${DDIST_BENCH_BIN:-}" ]; then
  bin=$DDIST_BENCH_BIN
else
  echo "==> building bench (Release)"
  dotnet build bench/DDist.Bench/DDist.Bench.csproj -c Release -v q -nologo >/dev/null
  bin=bench/DDist.Bench/bin/Release/net10.0/DDist.Bench
fi

echo "==> ddist"
"$bin" "${args[@]}" --out bench/results/ddist.json
echo "==> pytorch"
# The shim beside the DDist side's binary also counts PyTorch's CPU tensor bytes (bench/pytorch/tensor_memory.py).
shim="${DDIST_SHIM:-$(cd "$(dirname "$bin")" && pwd)/libddist_shim.so}"
(cd bench/pytorch && DDIST_SHIM="$shim" "$PYTHON" bench.py "${args[@]}" --out ../results/pytorch.json)
echo
"$PYTHON" bench/report.py bench/results/ddist.json bench/results/pytorch.json
