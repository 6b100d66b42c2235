#!/usr/bin/env bash
# Tokens/s of one Python SDK client vs connswap-client on the same local cluster
# (bench/python_sdk/bench.py): 1 and 100 streams, paced at 50 tokens/s per stream and
# unpaced. Uses BUILD_DIR's programs and its SDK venv (scripts/sdk_env.sh makes it).
#   bench/python_sdk.sh build/release [--quick] [--repeats N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR [--quick] [--repeats N]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
"$root/scripts/sdk_env.sh" "$build"
export CONNSWAP_BUILD_DIR=$build PYTHONDONTWRITEBYTECODE=1
exec "$build/sdk-venv/bin/python" "$root/bench/python_sdk/bench.py" "$@"
