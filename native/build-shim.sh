#!/usr/bin/env bash
# Configure (once) and build the shim into the folder given as $1. Honours TORCH_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../artifacts/native}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"   # absolute: CMake resolves relative output folders against the build tree
if [ -z "${TORCH_DIR:-}" ] && [ ! -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] \
   && [ ! -f /usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake ]; then
  echo "error DDIST001: libtorch not found. Install it with 'sudo apt-get install libtorch-dev' (Debian/Ubuntu)," \
       "or set TORCH_DIR to another libtorch (e.g. a CUDA build). './build.sh' installs it for you." >&2
  exit 1
fi
# Reconfigure when TORCH_DIR changes, so pointing at a CUDA libtorch takes effect.
stamp="$out/.torch_dir"
if [ ! -f "$out/CMakeCache.txt" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${TORCH_DIR:-system}" ]; then
  rm -f "$out/CMakeCache.txt"
  cmake -S "$here" -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$out" >/dev/null
  echo "${TORCH_DIR:-system}" > "$stamp"
fi
cmake --build "$out" -j "$(nproc)"
