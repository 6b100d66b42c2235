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
. "$root/scripts/lib/venv.sh"
venv_init python_env venv tests/python/requirements.txt "$0" "$@"

want=$(venv_want "$requirements")
if venv_is_current "$venv" "$want"; then
  exit 0
fi
venv_create "$venv" tests/python/requirements.txt
venv_install_pinned "$venv" "$requirements"
venv_stamp "$venv" "$want"
echo "python_env: $venv ready"
