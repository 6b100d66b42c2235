#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs every test in a
# Release build and in an AddressSanitizer + UndefinedBehaviorSanitizer build, then runs
# each libFuzzer target briefly.
#   scripts/test.sh            both builds
#   scripts/test.sh release    only the Release build (faster local loop)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
which_builds=${1:-all}
jobs=${CONNSWAP_JOBS:-2}
start=$(date +%s)

step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "installing missing packages"
scripts/setup.sh

run_build() {  # name, then cmake options
  local name=$1; shift
  step "configuring build/$name"
  cmake -S . -B "build/$name" -G Ninja -DCONNSWAP_WERROR=ON "$@" >/dev/null
  step "building build/$name"
  cmake --build "build/$name" -j"$jobs"
  step "testing build/$name"
  ctest --test-dir "build/$name" --output-on-failure -j"$jobs" --timeout 300
}

run_build release -DCMAKE_BUILD_TYPE=Release
step "clang-tidy over src/ and apps/ (cached in ~/.cache/connswap-tidy)"
scripts/tidy.sh build/release
if [ "$which_builds" = all ]; then
  # RelWithDebInfo keeps the sanitizer run fast enough for the 64 MiB transfers.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_build asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNSWAP_SANITIZE=ON \
      -DCONNSWAP_BUILD_BENCH=OFF
  step "fuzzing (libFuzzer, clang, ASan + UBSan), bounded"
  scripts/fuzz.sh "${CONNSWAP_FUZZ_SECONDS:-20}"
fi
step "all tests passed"
