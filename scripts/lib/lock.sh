# Shared pieces of the lock scripts (tests/python/lock.sh, tests/sdk/lock.sh,
# tests/llm/lock.sh), which regenerate a requirements.txt with every package pinned and the
# sha256 of its files. Sourced, never run; the sourcing script sets `set -euo pipefail`.
# They need the package registry and are run by hand.

lock_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Makes a scratch directory (removed on exit) with a fresh venv in it. Sets lock_scratch
# and lock_pip (the venv's pip, quiet, as an array).
lock_begin() {
  lock_scratch=$(mktemp -d)
  trap 'rm -rf "$lock_scratch"' EXIT
  python3 -m venv "$lock_scratch/venv"
  lock_pip=("$lock_scratch/venv/bin/python" -m pip --quiet --disable-pip-version-check)
}

# Downloads the wheel of every pin into DIR, for this machine and for CPython 3.11-3.13 on
# manylinux x86_64 (so the --require-hashes install also works on Debian 13's Python).
lock_download_wheels() {  # dir, pins file, [further --platform options]
  local dir=$1 pins=$2 version
  shift 2
  "${lock_pip[@]}" download --no-deps --only-binary=:all: -d "$dir" -r "$pins"
  for version in 3.11 3.12 3.13; do
    "${lock_pip[@]}" download --no-deps --only-binary=:all: -d "$dir" -r "$pins" \
      --python-version "$version" --implementation cp "$@" \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
  done
}

# Writes HERE/requirements.txt: every pin with the sha256 of its files in DIR
# (scripts/lib/lock_hashes.py), under a header naming the lock script.
lock_write() {  # here (the suite's folder), pins file, dir, generator, [header lines]
  local here=$1
  shift
  "$lock_scratch/venv/bin/python" "$lock_lib/lock_hashes.py" "$@" >"$here/requirements.txt"
  echo "lock: wrote $here/requirements.txt"
}
