# Shared pieces of the venv scripts (scripts/python_env.sh, sdk_env.sh, llm_env.sh) and of
# the scripts that run in such a venv (tests/python/run.sh, tests/sdk/run.sh,
# bench/python_sdk.sh). Sourced, never run; the sourcing script sets `set -euo pipefail`
# and calls venv_init (venv scripts) or venv_runner_build_arg (runners).
# Wheels live in ${CONNSWAP_WHEEL_CACHE:-~/.cache/connswap-wheels}, outside the clone like
# pip's own cache: the registry is asked only for a file not there yet, so a second venv
# (the ASan build's, a second clone's) is made offline in seconds.

venv_wheels=${CONNSWAP_WHEEL_CACHE:-$HOME/.cache/connswap-wheels}

# Prints "$venv_tag: MESSAGE" on stderr and exits 1.
venv_fail() {
  echo "${venv_tag:-venv}: $*" >&2
  exit 1
}

# Parses a venv script's arguments (BUILD_DIR only, else usage and exit 2) and sets
# venv_tag (message prefix), venv (BUILD_DIR/NAME) and requirements (its absolute path).
venv_init() {  # tag, venv name, requirements file (relative to the clone), "$0", arguments
  venv_tag=$1
  if [ $# -ne 5 ]; then
    echo "usage: $4 BUILD_DIR" >&2
    exit 2
  fi
  venv=$5/$2
  requirements=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/$3
}

# Prints the sha256 a venv's stamp must hold: python3's version, the requirements file and
# any further text given (build flags). Checks python3 is there first.
venv_want() {  # requirements file, [extra text]
  command -v python3 >/dev/null || venv_fail "python3 not found (scripts/setup.sh installs it)"
  {
    python3 -c 'import sys; print(sys.version)'
    cat "$1"
    if [ $# -gt 1 ]; then echo "$2"; fi
  } | sha256sum | cut -d' ' -f1
}

# True when the venv exists and its stamp holds `want`.
venv_is_current() {  # venv dir, want
  [ -x "$1/bin/python" ] && [ "$(cat "$1/connswap-requirements.sha256" 2>/dev/null)" = "$2" ]
}

# Records `want` in the venv's stamp (after everything is installed).
venv_stamp() {  # venv dir, want
  echo "$2" >"$1/connswap-requirements.sha256"
}

# Recreates the venv from scratch with python3 -m venv.
venv_create() {  # venv dir, requirements file's name for the message
  echo "$venv_tag: creating $1 from $2"
  rm -rf "$1"
  python3 -m venv "$1" ||
    venv_fail "'python3 -m venv $1' failed: install Debian's python3-venv (scripts/setup.sh)"
}

# Installs every wheel of a requirements file into the venv, hash-checked (--require-hashes,
# --no-deps, wheels only), offline from the wheel cache; downloads the missing ones first.
venv_install_pinned() {  # venv dir, requirements file
  local pip=("$1/bin/python" -m pip --quiet --disable-pip-version-check)
  local install=(install --require-hashes --no-deps --only-binary=:all: -r "$2")
  if ! "${pip[@]}" "${install[@]}" --no-index --find-links "$venv_wheels" 2>/dev/null; then
    # Not quiet: pip names each wheel it fetches, with its size (progress on a fresh machine).
    echo "$venv_tag: downloading the pinned wheels missing from $venv_wheels (once per machine)"
    "$1/bin/python" -m pip --disable-pip-version-check download --progress-bar off \
      --require-hashes --no-deps --only-binary=:all: -d "$venv_wheels" -r "$2" |
      awk '/^ *Downloading / { print; fflush() }' ||
      venv_fail "cannot download the pinned wheels into $venv_wheels" \
        "(is the package registry reachable?)"
    "${pip[@]}" "${install[@]}" --no-index --find-links "$venv_wheels" ||
      venv_fail "pip install into $1 failed"
  fi
}

# The BUILD_DIR argument of a runner (run.sh, a bench), made absolute, else usage and exit
# 2. Sets venv_build; the caller shifts it off its arguments.
venv_runner_build_arg() {  # usage line, then the runner's arguments
  local usage=$1
  shift
  if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $usage" >&2
    exit 2
  fi
  venv_build=$(cd "$1" && pwd)
}

# Runs a venv script for BUILD_DIR; on failure says the venv is missing and exits 1.
venv_ensure() {  # env script, build dir, venv name, what the tests are
  if ! "$1" "$2"; then
    echo "run.sh: FAILED: no Python venv in $2/$3 for $4 (see above)." >&2
    echo "run.sh: making it needs python3-venv and, once per machine, the package registry." >&2
    exit 1
  fi
}

# Runs pytest in the suite's folder with the venv's Python (replacing the shell), with the
# build dir's programs; --basetemp keeps each cluster's logs in the build dir (cleared at
# the next run). Further arguments go to pytest.
venv_exec_pytest() {  # suite dir, build dir, venv name, basetemp name, pytest arguments
  local suite=$1 build=$2 venv=$3 basetemp=$4
  shift 4
  export CONNSWAP_BUILD_DIR=$build
  export PYTHONDONTWRITEBYTECODE=1
  cd "$suite"
  exec "$build/$venv/bin/python" -m pytest -q --basetemp="$build/$basetemp" "$@"
}
