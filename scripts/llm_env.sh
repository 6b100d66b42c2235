#!/usr/bin/env bash
# Creates BUILD_DIR/llm-venv for the e2e tests that need a real model server: llama.cpp via
# llama-cpp-python[server], plus gguf and numpy for tests/llm/make_model.py. Every package
# comes from tests/llm/requirements.txt, pinned and hash-checked. Does nothing when the venv
# already matches requirements.txt, python3 and the build flags (a sha256 stamp inside the
# venv); otherwise recreates it from scratch.
#   scripts/llm_env.sh build/release
# Files are kept in ${CONNSWAP_WHEEL_CACHE:-~/.cache/connswap-wheels} (shared with
# scripts/python_env.sh): the registry is asked only for a file not there yet. The registry
# has llama-cpp-python only as an sdist: it is compiled once per machine (~6 min on 2 cores,
# CONNSWAP_JOBS jobs) into built/ under the cache, so a second venv is made offline in seconds.
# Exits non-zero with a message on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/venv.sh"
venv_init llm_env llm-venv tests/llm/requirements.txt "$0" "$@"
wheels=$venv_wheels
sdist_only=llama-cpp-python
# A portable build (GGML_NATIVE=OFF still gives the AVX2/FMA baseline) of the library only:
# no examples, tests or llava/mtmd (imported lazily by the server, never by our tests). No
# ccache: pip builds in a random temporary directory, so every object would be a miss that
# only fills the project's ccache.
cmake_args="-DGGML_NATIVE=OFF -DGGML_CCACHE=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
cmake_args+=" -DLLAMA_BUILD_TESTS=OFF -DLLAVA_BUILD=OFF"

command -v cmake >/dev/null || venv_fail "cmake not found (scripts/setup.sh installs it)"
want=$(venv_want "$requirements" "$cmake_args")
if venv_is_current "$venv" "$want"; then
  exit 0
fi
venv_create "$venv" tests/llm/requirements.txt
python=$venv/bin/python
pip=("$python" -m pip --quiet --disable-pip-version-check)

# requirements.txt split in two: the sdist's entry (a line and its --hash continuation
# lines) and all the others, which are wheels.
split() {  # name regex, "keep" or "drop", file
  awk -v name="^$1==" -v mode="$2" '
    /^[^ #]/ { inside = tolower($0) ~ name }
    /^[^#]/ && ((mode == "keep") == inside) { print }' "$3"
}
lists=$(mktemp -d)
trap 'rm -rf "$lists"' EXIT
split "$sdist_only" drop "$requirements" >"$lists/wheels.txt"
split "$sdist_only" keep "$requirements" >"$lists/sdist.txt"
[ -s "$lists/sdist.txt" ] || venv_fail "no $sdist_only pin in $requirements"

# 1. Every wheel, hash-checked, offline from the cache (downloading what is missing first).
venv_install_pinned "$venv" "$lists/wheels.txt"

# 2. llama-cpp-python's wheel, built once from the hash-checked sdist with the venv's pinned
# scikit-build-core (--no-build-isolation: no unpinned build requirement is fetched). Its
# directory is named after the sdist's hash, the flags and the compiler, so a change of any
# of them builds anew.
key=$({
  cat "$lists/sdist.txt"
  echo "$cmake_args"
  c++ --version 2>/dev/null | head -1
} | sha256sum | cut -c1-16)
built=$wheels/built/$sdist_only-$key
if ! compgen -G "$built/*.whl" >/dev/null; then
  sdist=(--require-hashes --no-deps --no-binary=:all: --no-build-isolation -r "$lists/sdist.txt")
  if ! "${pip[@]}" download "${sdist[@]}" -d "$wheels" --no-index --find-links "$wheels" \
    2>/dev/null; then
    echo "llm_env: downloading the $sdist_only sdist (~77 MB) into $wheels"
    "${pip[@]}" download "${sdist[@]}" -d "$wheels" ||
      venv_fail "cannot download the $sdist_only sdist (is the package registry reachable?)"
  fi
  jobs=${CONNSWAP_JOBS:-2}
  log=$wheels/built/$sdist_only-$key.log
  mkdir -p "$wheels/built"
  rm -rf "$built.tmp"
  echo "llm_env: compiling $sdist_only (llama.cpp) once for this machine, -j$jobs:" \
    "~6 min on 2 cores; log in $log"
  started=$(date +%s)
  CMAKE_ARGS=$cmake_args CMAKE_BUILD_PARALLEL_LEVEL=$jobs \
    "$python" -m pip --disable-pip-version-check -v wheel "${sdist[@]}" \
    --no-index --find-links "$wheels" -w "$built.tmp" >"$log" 2>&1 &
  builder=$!
  # A heartbeat with ninja's [done/total] counter while the compiler runs.
  while kill -0 "$builder" 2>/dev/null; do
    for _ in $(seq 30); do
      kill -0 "$builder" 2>/dev/null || break
      sleep 1
    done
    progress=$(grep -o '^ *\[[0-9]*/[0-9]*\]' "$log" | tail -1 | tr -d ' ' || true)
    echo "llm_env: ... $(($(date +%s) - started)) s, ninja ${progress:-[configuring]}"
  done
  if ! wait "$builder"; then
    tail -40 "$log" >&2
    venv_fail "building $sdist_only failed (whole log: $log)"
  fi
  # Only the wheel is kept: pip wheel also copies the (already cached) dependencies here.
  mkdir -p "$built"
  mv "$built.tmp"/llama_cpp_python-*.whl "$built"/
  rm -rf "$built.tmp"
  echo "llm_env: built $(basename "$built"/*.whl) in $(($(date +%s) - started)) s"
fi

# 3. The locally built wheel has no stable hash (the compiler's output is not reproducible
# byte for byte), so it cannot be --require-hashes'd: it is installed by path with --no-deps,
# after step 1 installed and hash-checked everything it depends on; its source was
# hash-checked when it was built.
"${pip[@]}" install --no-deps --no-index "$built"/*.whl || venv_fail "installing $built failed"
"$python" -c 'import llama_cpp, llama_cpp.server.app, gguf, numpy' ||
  venv_fail "the venv $venv cannot import llama_cpp / gguf / numpy"
venv_stamp "$venv" "$want"
echo "llm_env: $venv ready"
