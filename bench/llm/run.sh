#!/usr/bin/env bash
# Runs bench/llm/llm_bench.py with BUILD_DIR's programs (default build/release) in the llm
# venv (scripts/llm_env.sh makes it: llama-cpp-python, ~6 min the first time on 2 cores).
#   bench/llm/run.sh [BUILD_DIR] [--runs N --tokens N --kills N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
shift || true
"$root/scripts/llm_env.sh" "$build"
export CONNSWAP_BUILD_DIR=$build PYTHONDONTWRITEBYTECODE=1
exec "$build/llm-venv/bin/python" "$root/bench/llm/llm_bench.py" "$@"
