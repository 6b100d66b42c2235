#!/usr/bin/env bash
# The CTest python_sdk: makes BUILD_DIR/sdk-venv (scripts/sdk_env.sh: pinned, hash-checked
# packages and the SDK from python/) if it is missing or stale, then runs pytest over
# tests/sdk with that build's programs. Further arguments go to pytest.
#   tests/sdk/run.sh build/release [-k resume -x]
# The programs come from CONNSWAP_DIRECTOR/_WORKER/_CERTS/_KEYS when set (CTest sets them),
# else from BUILD_DIR/apps. Fails, never skips, when the venv cannot be made.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib/venv.sh"
venv_runner_build_arg "$0 BUILD_DIR [pytest arguments]" "$@"
shift
venv_ensure "$here/../../scripts/sdk_env.sh" "$venv_build" sdk-venv "the SDK tests"
venv_exec_pytest "$here" "$venv_build" sdk-venv sdk-tests "$@"
