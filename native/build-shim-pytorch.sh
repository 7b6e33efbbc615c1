#!/usr/bin/env bash
# Builds the shim against the libtorch inside a PyTorch installation (CUDA included) into the folder $1,
# without CMake's CUDA toolkit discovery: a pip-installed CUDA PyTorch ships its CUDA runtime but usually not
# the toolkit that its TorchConfig.cmake asks for, so this compiles directly with the compiler flags PyTorch's
# own C++-extension builder uses (include folders, C++ ABI, linking libtorch_cuda with --no-as-needed so the
# CUDA kernels register).
#   native/build-shim-pytorch.sh OUT_DIR        (PYTHON selects the interpreter; default python3; TORCH_DIR
#                                               overrides the folder holding include/ and lib/)
# Without the libpng/libjpeg headers the shim is built without image decoding (DD_NO_IMAGE_CODECS).
# Should the first attempt fail, it retries with DD_NO_DEVICE_ALLOCATOR (peak-memory statistics through the
# CUDA headers, or none), so that one API difference costs statistics, not the build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: native/build-shim-pytorch.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
py="${PYTHON:-python3}"
cxx="${CXX:-$(command -v c++ || command -v g++ || command -v clang++ || echo c++)}"

if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "build-shim-pytorch: $py cannot import torch (set PYTHON to the interpreter of the PyTorch installation)" >&2
  exit 1
fi
eval "$("$py" - <<'EOF'
import os, sys, torch
# TORCH_DIR overrides where the headers and libraries are (include/ and lib/ below it), e.g. a libtorch zip.
d = os.environ.get("TORCH_DIR") or os.path.dirname(torch.__file__)
major, minor = (int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
print(f"torch_dir='{d}'")
print(f"torch_version='{torch.__version__}'")
print(f"abi={int(torch._C._GLIBCXX_USE_CXX11_ABI)}")
print(f"std={'c++20' if (major, minor) >= (2, 7) else 'c++17'}")
print(f"cuda='{torch.version.cuda or ''}'")
# CUDA runtime headers: a toolkit, or the nvidia-* wheels that a CUDA PyTorch depends on.
cands = [os.environ.get("CUDA_HOME", ""), "/usr/local/cuda"]
try:
    import nvidia
    for base in nvidia.__path__:
        for sub in sorted(os.listdir(base)):
            cands.append(os.path.join(base, sub))
except ImportError:
    pass
inc = next((os.path.join(c, "include") for c in cands if c and os.path.exists(os.path.join(c, "include", "cuda_runtime_api.h"))), "")
print(f"cuda_include='{inc}'")
# The OpenMP runtime libtorch runs on: a pip wheel bundles its own libgomp (renamed with a hash) in lib/;
# Debian's and source builds use the system one; conda's may use Intel's.
import glob
omp = sorted(glob.glob(os.path.join(d, "lib", "libgomp*.so*")) + glob.glob(os.path.join(d, "lib", "libiomp5.so")))
print(f"omp_lib='{omp[0] if omp else ''}'")
EOF
)"
echo "libtorch $torch_version at $torch_dir (C++ ABI $abi, -std=$std, CUDA ${cuda:-none}, CUDA headers ${cuda_include:-none})"

# -O3 (CMake's Release) and the fused kernels' floating-point switches (fast-kernels.flags, as CMakeLists.txt reads
# them): without them the kernels' reductions are not vectorised and an MTT iteration on the CPU took twice as long.
flags=(-std="$std" -O3 -DNDEBUG -fPIC -fvisibility=hidden -Wall -Wno-unused-variable -D_GLIBCXX_USE_CXX11_ABI="$abi"
       -I"$here/include" -I"$here/src" -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
mapfile -t fast_math < <(grep '^-' "$here/fast-kernels.flags")
libs=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -lc10 -ltorch_cpu -ltorch)
if [ -f "$torch_dir/lib/libtorch_cuda.so" ]; then
  libs+=(-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed)
fi
# OpenMP: at::parallel_for is a header template, so the fused CPU kernels run on libtorch's threads only when the
# shim is compiled with OpenMP (as the CMake build is), and it must share libtorch's runtime: the bundled one when
# PyTorch ships its own (linked by path instead of the system libgomp that -fopenmp would add), else the system's.
omp_link=()
if [ -n "$omp_lib" ]; then omp_link=("$omp_lib"); else omp_link=(-fopenmp); fi
# A parallel region linked the way the shim will be; if that fails, build without OpenMP rather than not at all.
probe=$(mktemp -d)
printf '#include <omp.h>\nextern "C" int probe() { int n = 0;\n#pragma omp parallel\n{ n = omp_get_num_threads(); }\nreturn n; }\n' > "$probe/p.cpp"
if "$cxx" -fopenmp -fPIC -c "$probe/p.cpp" -o "$probe/p.o" 2> "$probe/log" \
   && "$cxx" -shared "$probe/p.o" -o "$probe/p.so" "${omp_link[@]}" -Wl,--no-undefined 2>> "$probe/log"; then
  flags+=(-fopenmp)
  echo "OpenMP: ${omp_lib:-the system runtime}"
else
  omp_link=()
  echo "OpenMP unavailable ($(head -c 300 "$probe/log")): the fused CPU kernels will run on one thread (GPU work is unaffected)"
fi
rm -rf "$probe"
libs+=("${omp_link[@]}")
if printf '#include <png.h>\n#include <jpeglib.h>\n' | "$cxx" -E -x c++ - >/dev/null 2>&1; then
  libs+=(-lpng -ljpeg)
else
  echo "libpng/libjpeg headers not found: building without image decoding"
  flags+=(-DDD_NO_IMAGE_CODECS)
fi

build() {
  local extra=("$@") objs=() pids=() failed=0
  for src in "$here"/src/*.cpp; do
    local obj="$out/$(basename "$src" .cpp).o"
    objs+=("$obj")
    local own=()
    [ "$(basename "$src")" = fast_kernels.cpp ] && own=("${fast_math[@]}")
    "$cxx" "${flags[@]}" "${extra[@]}" "${own[@]}" -c "$src" -o "$obj" 2> "$obj.log" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then failed=1; echo "compile failed: ${objs[$i]%.o}.cpp"; grep -m 20 -B2 -A6 "error" "${objs[$i]}.log" || true; fi
  done
  [ "$failed" = 0 ] || return 1
  "$cxx" -shared -o "$out/libddist_shim.so" "${objs[@]}" "${libs[@]}"
}

if build; then
  echo "built $out/libddist_shim.so"
else
  echo "retrying with DD_NO_DEVICE_ALLOCATOR${cuda_include:+ and the CUDA headers}"
  retry=(-DDD_NO_DEVICE_ALLOCATOR)
  [ -n "$cuda_include" ] && retry+=(-DDD_CUDA_HEADERS -isystem "$cuda_include")
  build "${retry[@]}"
  echo "built $out/libddist_shim.so (without the generic device-allocator statistics)"
fi
