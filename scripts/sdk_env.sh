#!/usr/bin/env bash
# Creates BUILD_DIR/sdk-venv for the Python SDK's tests (tests/sdk): python3 -m venv, every
# package of tests/sdk/requirements.txt pinned and hash-checked (pip --require-hashes), then
# the SDK itself from python/ (its protobuf code generated from proto/ by the pinned
# grpcio-tools; --no-build-isolation, so nothing unpinned is fetched).
#   scripts/sdk_env.sh build/release
# The pinned packages are reinstalled only when requirements.txt or python3 changed, the SDK
# only when a file under python/ or proto/ changed (sha256 stamps in the venv). Wheels come
# from ${CONNSWAP_WHEEL_CACHE:-~/.cache/connswap-wheels} (shared with scripts/python_env.sh):
# the registry is asked only for a wheel not there yet. Exits non-zero with a message on any
# failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
venv=$1/sdk-venv
requirements=$root/tests/sdk/requirements.txt
wheels=${CONNSWAP_WHEEL_CACHE:-$HOME/.cache/connswap-wheels}
stamp=$venv/connswap-requirements.sha256
sdk_stamp=$venv/connswap-sdk.sha256

fail() {
  echo "sdk_env: $*" >&2
  exit 1
}

command -v python3 >/dev/null || fail "python3 not found (scripts/setup.sh installs it)"
want=$({ python3 -c 'import sys; print(sys.version)'; cat "$requirements"; } | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "sdk_env: creating $venv from tests/sdk/requirements.txt"
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
fi

# The SDK, rebuilt when its sources or the schemas change.
sdk_want=$(cd "$root" && find python proto -type f ! -path '*/__pycache__/*' \
  ! -path 'python/build/*' ! -path 'python/*.egg-info/*' -print0 | sort -z |
  xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$sdk_stamp" 2>/dev/null)" != "$sdk_want" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  # A copy, so the build leaves no build/ or egg-info in the source tree.
  cp -r "$root/python" "$root/proto" "$scratch/"
  "$venv/bin/python" -m pip --quiet --disable-pip-version-check install --no-deps \
    --no-build-isolation --no-index --force-reinstall "$scratch/python" ||
    fail "installing the SDK from python/ into $venv failed"
  echo "$sdk_want" >"$sdk_stamp"
  echo "sdk_env: connswap SDK installed into $venv"
fi
