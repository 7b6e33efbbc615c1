#!/usr/bin/env bash
# Compiles every shim source against the headers of newer libtorch releases, as the GPU machine's build will
# (PyTorch 2.x, C++20 from 2.7), without installing them: CI links and tests only against Debian 12's libtorch 1.13,
# so a version guard that no longer fits, or a C++20 keyword in our code, would otherwise first show on the device.
# The headers come from Debian's libtorch-dev packages of later releases (unpacked, not installed).
#   native/check-libtorch2.sh [SUITE ...]     (default: trixie sid; CACHE_DIR default artifacts/libtorch-headers)
# Exit status: 0 when every source compiles against every suite's headers, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${CACHE_DIR:-$here/../artifacts/libtorch-headers}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cxx="${CXX:-g++}"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(trixie sid)
mkdir -p "$cache"
failed=0
need=()
command -v curl >/dev/null || need+=(curl)
command -v xz >/dev/null || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "check-libtorch2: needs ${need[*]} (sudo apt-get install ${need[*]})" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The libtorch-dev package of a suite: "VERSION FILENAME" from the suite's package index.
package_of() {
  local index="$cache/Packages-$1.xz"
  curl -fsSL --retry 3 -m 300 -o "$index" "$mirror/dists/$1/main/binary-amd64/Packages.xz" || return 1
  xz -dc "$index" | awk '/^Package: /{p=($2=="libtorch-dev")} p&&/^Version: /{v=$2} p&&/^Filename: /&&!n{print v, $2; n=1}'
}

for suite in "${suites[@]}"; do
  read -r version file < <(package_of "$suite") || true
  if [ -z "${file:-}" ]; then echo "check-libtorch2: no libtorch-dev in Debian $suite's index ($mirror)" >&2; failed=1; continue; fi
  dir="$cache/$version"
  if [ ! -d "$dir/usr/include/torch" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    curl -fsSL --retry 3 -m 600 -o "$dir.deb" "$mirror/$file"
    dpkg-deb -x "$dir.deb" "$dir" && rm -f "$dir.deb"
  fi
  inc="$dir/usr/include"
  upstream=${version%%+*}; upstream=${upstream#*:}
  major=${upstream%%.*}; minor=${upstream#*.}; minor=${minor%%.*}
  std=c++17
  [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 7 ]; } && std=c++20
  echo "==> shim sources against libtorch $version headers (Debian $suite), -std=$std"
  t0=$(date +%s)
  # Two at a time: each compile of <torch/torch.h> takes about a gigabyte.
  logs="$cache/logs-$version"; mkdir -p "$logs"
  if ! printf '%s\n' "$here"/src/*.cpp | xargs -P 2 -I{} sh -c \
      '"$0" -std='"$std"' -fsyntax-only -fopenmp -Wall -Werror=deprecated-declarations -Wno-unused-variable -D_GLIBCXX_USE_CXX11_ABI=1 \
         -I"$1/include" -I"$1/src" -isystem "$2" -isystem "$2/torch/csrc/api/include" {} > "$3/$(basename {}).log" 2>&1 \
       || { echo "compile failed: {}"; grep -m 12 -A4 "error" "$3/$(basename {}).log"; exit 255; }' \
      "$cxx" "$here" "$inc" "$logs"; then
    failed=1
  fi
  echo "    $(($(date +%s) - t0)) s"
done
[ "$failed" = 0 ] && echo "check-libtorch2: the shim compiles against every suite's libtorch headers"
exit "$failed"
