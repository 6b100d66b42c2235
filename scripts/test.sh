#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs every test in a
# Release build and in an AddressSanitizer + UndefinedBehaviorSanitizer build, then runs
# each libFuzzer target briefly. Prints each stage's duration and the total at the end.
#   scripts/test.sh            both builds
#   scripts/test.sh release    only the Release build (faster local loop)
# Env: CONNSWAP_JOBS (default 2), CONNSWAP_FUZZ_SECONDS (default 20).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib/progress.sh
which_builds=${1:-all}
jobs=${CONNSWAP_JOBS:-2}

# The first line: the estimate, from whether this machine built connswap before (the wheel
# cache holds the llama-cpp-python wheel compiled once per machine; ccache is then warm too).
if compgen -G "${CONNSWAP_WHEEL_CACHE:-$HOME/.cache/connswap-wheels}/built/*/*.whl" \
  >/dev/null; then
  estimate="about 16-25 min on 2 cores with this machine's caches warm"
else
  estimate="about 45 min on a fresh 2-core machine (empty caches; llama.cpp compiled once)"
fi
[ "$which_builds" = all ] || estimate="the Release half of: $estimate"
progress_begin "scripts/test.sh: install, build Release and ASan/UBSan, run every test" \
  "$estimate"

# ccache keys on paths relative to the clone, so a second clone on this machine hits the
# entries of the first. The three builds take well under 1 GB of (compressed) cache, which
# ccache's default limit (5 GB) holds, so a configured limit is left alone.
export CCACHE_BASEDIR=$root
# The sanitizer build has debug info, which ccache keys on the build directory unless told
# not to: without this a second clone misses on every sanitizer object. The line tables then
# name the first clone's directory, which only matters for reading a report's file paths.
export CCACHE_NOHASHDIR=1

start=$(date +%s)
stage_log=()
current=""
stage_start=$start

# Runs "$@" as the stage named $1 (the rest is the command) and records its duration.
stage() {
  current=$1
  shift
  printf '\n==> [%s] %s\n' "$(progress_elapsed)" "$current"
  stage_start=$(date +%s)
  "$@"
  stage_log+=("$(printf '%6ss  %s' "$(($(date +%s) - stage_start))" "$current")")
  current=""
}

# Prints every finished stage's duration, the failed one if any, and the total.
summary() {
  local status=$?
  printf '\n==> stage durations\n'
  local line
  for line in "${stage_log[@]}"; do printf '%s\n' "$line"; done
  if [ -n "$current" ]; then
    printf '%6ss  %s (FAILED)\n' "$(($(date +%s) - stage_start))" "$current"
  fi
  printf '%6ss  total (%s elapsed)\n' "$(($(date +%s) - start))" "$(progress_elapsed)"
  return "$status"
}
trap summary EXIT

configure() {  # build dir, then cmake options; cmake's chatter is not shown
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCONNSWAP_WERROR=ON "$@" >/dev/null
}

build() {  # build dir: the build as a [done/total] counter; errors shown as they come
  mkdir -p "$1"
  cmake --build "$1" -j"$jobs" 2>&1 | progress_ninja "$1/build.log"
}

run_build() {  # name, then cmake options
  local name=$1
  shift
  stage "configure build/$name" configure "build/$name" "$@"
  stage "build build/$name (full output: build/$name/build.log)" build "build/$name"
  # The real model server's venv (the CTest llm_env then only checks it): on a cold machine
  # this compiles llama-cpp-python once (~6 min on 2 cores) into the shared wheel cache.
  stage "llm venv build/$name (scripts/llm_env.sh)" scripts/llm_env.sh "build/$name"
  stage "test build/$name" \
    ctest --test-dir "build/$name" --output-on-failure -j"$jobs" --timeout 300 \
    -E '^python_sdk$'
  # The Python SDK's pytest suite (CTest python_sdk) runs on its own, so that pytest's
  # closing line shows in the output.
  stage "python SDK build/$name (tests/sdk/run.sh: pytest, aioquic)" \
    tests/sdk/run.sh "build/$name"
}

stage "install missing packages" scripts/setup.sh
run_build release -DCMAKE_BUILD_TYPE=Release
stage "clang-tidy over src/ and apps/ (cached in ~/.cache/connswap-tidy)" \
  scripts/tidy.sh build/release
if [ "$which_builds" = all ]; then
  # -Og -g1: GCC's debugging optimisation level compiles ~40% faster than -O1 with the
  # sanitizers (and ~70% faster than RelWithDebInfo's -O2 -g) and still runs the 64 MiB
  # transfers well inside their timeouts; -g1 keeps the line tables the sanitizer reports
  # symbolize with. NDEBUG as in RelWithDebInfo: the same code is checked as in Release.
  sanitize_flags="-Og -g1 -DNDEBUG"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  run_build asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNSWAP_SANITIZE=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$sanitize_flags" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$sanitize_flags" -DCONNSWAP_BUILD_BENCH=OFF
  unset ASAN_OPTIONS UBSAN_OPTIONS
  stage "fuzz (libFuzzer, clang, ASan + UBSan), bounded" \
    scripts/fuzz.sh "${CONNSWAP_FUZZ_SECONDS:-20}"
fi
printf '\n==> all tests passed\n'
