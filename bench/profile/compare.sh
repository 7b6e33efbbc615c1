#!/usr/bin/env bash
# DDist vs PyTorch on one MTT inner loop, interleaved (the CPU may be shared: compare the ratio within a run,
# and prefer CPU seconds when the machine is oversubscribed). Writes the inputs with PyTorch first, then
# alternates the two sides ROUNDS times.
#   bench/profile/compare.sh [width] [norm instance|batch|none] [images] [channels] [size] [syn_steps] [threads] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
. native/malloc-env.sh
width=${1:-32} norm=${2:-instance} images=${3:-300} channels=${4:-1} size=${5:-28} steps=${6:-20} threads=${7:-2} rounds=${8:-2}
dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
py=(/usr/bin/python3 bench/profile/mtt_profile.py --width "$width" --norm "$norm" --images "$images" --channels "$channels"
    --size "$size" --syn-steps "$steps" --threads "$threads")
exe=bench/profile/MttProfile/bin/Release/net10.0/MttProfile
[ -x "$exe" ] || dotnet build bench/profile/MttProfile -c Release -v q -nologo >/dev/null
"${py[@]}" --iters 1 --dump "$dump"
for r in $(seq "$rounds"); do
  "$exe" "$dump" --width "$width" --norm "$norm" --threads "$threads" --iters 2
  "${py[@]}" --iters 2
done
