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
. "$root/scripts/lib/venv.sh"
venv_init sdk_env sdk-venv tests/sdk/requirements.txt "$0" "$@"
sdk_stamp=$venv/connswap-sdk.sha256

want=$(venv_want "$requirements")
if ! venv_is_current "$venv" "$want"; then
  venv_create "$venv" tests/sdk/requirements.txt
  venv_install_pinned "$venv" "$requirements"
  venv_stamp "$venv" "$want"
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
    venv_fail "installing the SDK from python/ into $venv failed"
  echo "$sdk_want" >"$sdk_stamp"
  echo "sdk_env: connswap SDK installed into $venv"
fi
