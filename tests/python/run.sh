#!/usr/bin/env bash
# The CTest python_openai_sdk: makes BUILD_DIR/venv (scripts/python_env.sh: pinned, hash-
# checked packages) if it is missing or stale, then runs pytest over tests/python with that
# build's programs. Further arguments go to pytest.
#   tests/python/run.sh build/release [-k stream -x]
# The programs come from CONNSWAP_DIRECTOR/_WORKER/_CERTS when set (CTest sets them), else
# from BUILD_DIR/apps. Fails, never skips, when the venv cannot be made.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib/venv.sh"
venv_runner_build_arg "$0 BUILD_DIR [pytest arguments]" "$@"
shift
venv_ensure "$here/../../scripts/python_env.sh" "$venv_build" venv "the openai SDK tests"
venv_exec_pytest "$here" "$venv_build" venv python-tests "$@"
