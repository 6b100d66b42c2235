#!/usr/bin/env bash
# Regenerates requirements.txt from requirements.in: resolves the direct pins in a scratch
# venv, pins everything it installed with ==, and records the sha256 of each wheel pip picks
# on this machine and on CPython 3.11-3.13 manylinux x86_64 (so the --require-hashes install
# in scripts/python_env.sh also works on Debian 13's Python). Needs the package registry;
# run it by hand after changing requirements.in, then commit both files.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib/lock.sh"
lock_begin

"${lock_pip[@]}" install --only-binary=:all: -r "$here/requirements.in"
"${lock_pip[@]}" freeze --exclude-editable | grep -v '^pip==\|^setuptools==' \
  >"$lock_scratch/frozen.txt"
lock_download_wheels "$lock_scratch/wheels" "$lock_scratch/frozen.txt"
lock_write "$here" "$lock_scratch/frozen.txt" "$lock_scratch/wheels" tests/python/lock.sh
