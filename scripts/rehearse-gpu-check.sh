#!/usr/bin/env bash
# Rehearses the GPU machine's run on a CPU machine: a Debian root of a later release (PyTorch 2.x from Debian's
# python3-torch, a newer compiler) is made with debootstrap, the checkout is bound into it, and scripts/gpu-check.sh
# runs there with --cpu --shim pytorch: the shim is built the device's way (native/build-shim-pytorch.sh against
# the PyTorch installation's libtorch) and every step runs against it. Needs root and about 3.3 GB; the root is kept
# for the next run.
#   scripts/gpu-prepare.sh                   # first: ddist and ddist-bench, self-contained (they run in the root)
#   sudo scripts/rehearse-gpu-check.sh [SUITE] [-- gpu-check options]     (SUITE default sid; ROOT_DIR default
#                                            /var/tmp/ddist-rehearsal-SUITE)
#   sudo scripts/rehearse-gpu-check.sh [SUITE] --bench [bench/run.sh options]
#                                            the benchmarks instead, DDist (shim built the same way) against that
#                                            release's PyTorch on the CPU; MNIST from artifacts/gpu-check/data, so
#                                            pass --dataset mnist to the training cases
# Results: artifacts/gpu-check/rehearsal-SUITE/gpu-check.json, or bench/results/ with --bench.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
suite=sid
if [ $# -gt 0 ] && [ "$1" != -- ] && [ "$1" != --bench ]; then suite=$1; shift; fi
action=check
case "${1:-}" in
  --) shift ;;
  --bench) action=bench; shift ;;
esac
root="${ROOT_DIR:-/var/tmp/ddist-rehearsal-$suite}"
[ "$(id -u)" = 0 ] || { echo "rehearse-gpu-check: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
[ -x artifacts/gpu-check/bin/ddist ] || { echo "rehearse-gpu-check: run scripts/gpu-prepare.sh first" >&2; exit 1; }

if [ ! -x "$root/usr/bin/python3" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  echo "==> making a Debian $suite root at $root (a few minutes)"
  debootstrap --variant=minbase \
    --include=python3,python3-torch,python3-numpy,libtorch-dev,g++,cmake,make,libpng-dev,libjpeg-dev,ca-certificates \
    "$suite" "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$root.debootstrap.log" 2>&1 \
    || { echo "rehearse-gpu-check: debootstrap failed; see $root.debootstrap.log (delete $root before retrying)" >&2; exit 1; }
fi

# The same absolute path inside, so that paths printed and recorded read alike on both sides.
mounts=()
mount_into() {   # mount_into --bind|--rbind PATH: PATH appears at the same place inside the root
  mkdir -p "$root$2" && mount "$1" "$2" "$root$2" && mounts=("$root$2" "${mounts[@]}")
}
cleanup() { for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
mkdir -p "$root/proc" && mount -t proc proc "$root/proc" && mounts=("$root/proc")
mount_into --rbind /dev
mount_into --rbind /sys
mount_into --bind "$repo"

out="$repo/artifacts/gpu-check/rehearsal-$suite"
echo "==> $action in Debian $suite: $(chroot "$root" python3 -c 'import torch; print("PyTorch", torch.__version__)' 2>/dev/null)"
if [ "$action" = check ]; then
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash -c \
    'cd "$0" && exec bash scripts/gpu-check.sh --cpu --shim pytorch --out "$1" "${@:2}"' "$repo" "$out" "$@"
else
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash -c \
    'cd "$0" && native/build-shim-pytorch.sh "$1/native" >/dev/null && export DDIST_SHIM="$1/native/libddist_shim.so" \
       DDIST_BENCH_BIN="$0/artifacts/gpu-check/bin/ddist-bench" DDIST_DATA="$0/artifacts/gpu-check/data" DDIST_ROOT="$0" \
     && exec bench/run.sh "${@:2}"' "$repo" "$out" "$@"
fi
