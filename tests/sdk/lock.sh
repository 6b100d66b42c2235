#!/usr/bin/env bash
# Regenerates requirements.txt from requirements.in (as tests/python/lock.sh, but keeping
# setuptools and wheel: they build the SDK with --no-build-isolation in the pinned venv).
# Records the sha256 of each wheel pip picks here and on CPython 3.11-3.13 manylinux x86_64.
# Needs the package registry; run it by hand after changing requirements.in, commit both.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib/lock.sh"
lock_begin

"${lock_pip[@]}" install --only-binary=:all: -r "$here/requirements.in"
"${lock_pip[@]}" freeze --all --exclude-editable | grep -v "^pip==" >"$lock_scratch/frozen.txt"
lock_download_wheels "$lock_scratch/wheels" "$lock_scratch/frozen.txt"
lock_write "$here" "$lock_scratch/frozen.txt" "$lock_scratch/wheels" tests/sdk/lock.sh
