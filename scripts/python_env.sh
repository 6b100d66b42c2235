#!/usr/bin/env bash
# Creates BUILD_DIR/venv for the Python e2e tests (tests/python): python3 -m venv, then every
# package of tests/python/requirements.txt, pinned and hash-checked (pip --require-hashes).
# Does nothing when the venv already matches requirements.txt and python3 (a sha256 stamp
# inside the venv); otherwise recreates it from scratch.
#   scripts/python_env.sh build/release
# Wheels are kept in ~/.cache/connswap-wheels (outside the clone, like pip's own cache): the
# registry is asked only for a wheel not there yet, so a second venv (the ASan build's, a
# second clone's) is made offline in seconds. Exits non-zero with a message on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
venv=$1/venv
requirements=$root/tests/python/requirements.txt
wheels=${CONNSWAP_WHEEL_CACHE:-$HOME/.cache/connswap-wheels}
stamp=$venv/connswap-requirements.sha256

fail() {
  echo "python_env: $*" >&2
  exit 1
}

command -v python3 >/dev/null || fail "python3 not found (scripts/setup.sh installs it)"
want=$({ python3 -c 'import sys; print(sys.version)'; cat "$requirements"; } | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

echo "python_env: creating $venv from tests/python/requirements.txt"
rm -rf "$venv"
python3 -m venv "$venv" ||
  fail "'python3 -m venv $venv' failed: install Debian's python3-venv (scripts/setup.sh)"
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
install=(install --require-hashes --no-deps --only-binary=:all: -r "$requirements")
if ! "${pip[@]}" "${install[@]}" --no-index --find-links "$wheels" 2>/dev/null; then
  "${pip[@]}" download --require-hashes --no-deps --only-binary=:all: -d "$wheels" \
    -r "$requirements" ||
    fail "cannot download the pinned wheels into $wheels (is the package registry reachable?)"
  "${pip[@]}" "${install[@]}" --no-index --find-links "$wheels" ||
    fail "pip install into $venv failed"
fi
echo "$want" >"$stamp"
echo "python_env: $venv ready"
