#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + coverage) and runs each for a
# bounded time against its seed corpus. New inputs go to a scratch directory, never into
# the repository. Usage: scripts/fuzz.sh [seconds per target, default 20]
# Env: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_JOBS (default 2).
set -euo pipefail

seconds=${1:-20}
targets=(wire migration http openai sse upstream)
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
jobs=${FUZZ_JOBS:-2}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNSWAP_FUZZ=ON -DCONNSWAP_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzz}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  echo "== ${target}_fuzz for ${seconds}s"
  # The first directory receives new inputs; the repository corpus is only read.
  "$build/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$scratch/$target" "$root/fuzz/corpus/$target"
done
