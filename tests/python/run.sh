#!/usr/bin/env bash
# The CTest python_openai_sdk: makes BUILD_DIR/venv (scripts/python_env.sh: pinned, hash-
# checked packages) if it is missing or stale, then runs pytest over tests/python with that
# build's programs. Further arguments go to pytest.
#   tests/python/run.sh build/release [-k stream -x]
# The programs come from CONNSWAP_DIRECTOR/_WORKER/_CERTS when set (CTest sets them), else
# from BUILD_DIR/apps. Fails, never skips, when the venv cannot be made.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR [pytest arguments]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift

if ! "$here/../../scripts/python_env.sh" "$build"; then
  echo "run.sh: FAILED: no Python venv in $build/venv for the openai SDK tests (see above)." >&2
  echo "run.sh: making it needs python3-venv and, once per machine, the package registry." >&2
  exit 1
fi

export CONNSWAP_BUILD_DIR=$build
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
# --basetemp: each cluster's logs stay in the build dir (cleared at the next run).
exec "$build/venv/bin/python" -m pytest -q --basetemp="$build/python-tests" "$@"
