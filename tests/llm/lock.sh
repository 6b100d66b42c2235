#!/usr/bin/env bash
# Regenerates requirements.txt from requirements.in: resolves the pins in a scratch venv
# without building anything (pip install --dry-run --report; llama-cpp-python's metadata
# comes from its sdist through the pinned scikit-build-core, no compiler runs), then records
# the sha256 of each wheel pip picks on this machine and on CPython 3.11-3.13 manylinux
# x86_64, and of llama-cpp-python's sdist (the registry has no wheel of it). Needs the
# package registry; run it by hand after changing requirements.in, then commit both files.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib/lock.sh"
sdist_only=llama-cpp-python
lock_begin
scratch=$lock_scratch
pip=("${lock_pip[@]}")

# The build backend first: the sdist's metadata is prepared with it, without isolation.
"${pip[@]}" install --only-binary=:all: "$(grep '^scikit-build-core==' "$here/requirements.in")"
"${pip[@]}" install --dry-run --ignore-installed --report "$scratch/report.json" \
  --no-build-isolation --only-binary=:all: --no-binary="$sdist_only" -r "$here/requirements.in"
"$scratch/venv/bin/python" - "$scratch/report.json" >"$scratch/pins.txt" <<'PY'
import json, re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
# Names as the registry spells them normalised (PEP 503), so the greps below find them.
for item in json.load(open(sys.argv[1]))["install"]:
    meta = item["metadata"]
    print(f"{norm(meta['name'])}=={meta['version']}")
PY
grep -iv "^${sdist_only}==" "$scratch/pins.txt" >"$scratch/wheels.txt"
grep -i "^${sdist_only}==" "$scratch/pins.txt" >"$scratch/sdist.txt"

files=$scratch/files
lock_download_wheels "$files" "$scratch/wheels.txt" --platform manylinux_2_28_x86_64
"${pip[@]}" download --no-deps --no-binary=:all: --no-build-isolation -d "$files" \
  -r "$scratch/sdist.txt"
lock_write "$here" "$scratch/pins.txt" "$files" tests/llm/lock.sh \
  "Every package pinned, each with the sha256 of its wheels (pip --require-hashes);" \
  "llama-cpp-python with the sha256 of its sdist, which scripts/llm_env.sh builds."
