#!/usr/bin/env bash
# Tokens/s of one Python SDK client vs connswap-client on the same local cluster
# (bench/python_sdk/bench.py): 1 and 100 streams, paced at 50 tokens/s per stream and
# unpaced. Uses BUILD_DIR's programs and its SDK venv (scripts/sdk_env.sh makes it).
#   bench/python_sdk.sh build/release [--quick] [--repeats N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/venv.sh"
venv_runner_build_arg "$0 BUILD_DIR [--quick] [--repeats N]" "$@"
shift
"$root/scripts/sdk_env.sh" "$venv_build"
export CONNSWAP_BUILD_DIR=$venv_build PYTHONDONTWRITEBYTECODE=1
exec "$venv_build/sdk-venv/bin/python" "$root/bench/python_sdk/bench.py" "$@"
