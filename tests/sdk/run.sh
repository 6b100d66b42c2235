#!/usr/bin/env bash
# The CTest python_sdk: makes BUILD_DIR/sdk-venv (scripts/sdk_env.sh: pinned, hash-checked
# packages and the SDK from python/) if it is missing or stale, then runs pytest over
# tests/sdk with that build's programs. Further arguments go to pytest.
#   tests/sdk/run.sh build/release [-k resume -x]
# The programs come from CONNSWAP_DIRECTOR/_WORKER/_CERTS/_KEYS when set (CTest sets them),
# else from BUILD_DIR/apps. Fails, never skips, when the venv cannot be made.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR [pytest arguments]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift

if ! "$here/../../scripts/sdk_env.sh" "$build"; then
  echo "run.sh: FAILED: no Python venv in $build/sdk-venv for the SDK tests (see above)." >&2
  echo "run.sh: making it needs python3-venv and, once per machine, the package registry." >&2
  exit 1
fi

export CONNSWAP_BUILD_DIR=$build
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
# --basetemp: each cluster's logs stay in the build dir (cleared at the next run).
exec "$build/sdk-venv/bin/python" -m pytest -q --basetemp="$build/sdk-tests" "$@"
