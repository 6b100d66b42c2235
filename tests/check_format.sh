#!/usr/bin/env bash
# Every tracked C++ file is clang-formatted with the repository's .clang-format. One
# clang-format process checks them all (one process per file cost ~10 s of CPU per run).
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format not installed"; exit 1
fi
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find src apps tests bench -name '*.h' -o -name '*.cc')
existing=()
for f in $files; do
  [ -f "$f" ] && existing+=("$f")
done
[ ${#existing[@]} -gt 0 ] || { echo "format: ok (no files)"; exit 0; }
if ! report=$(clang-format --dry-run -Werror "${existing[@]}" 2>&1); then
  # Violations read "path:line:col: error: code should be clang-formatted [...]".
  bad=$(printf '%s\n' "$report" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
  if [ -n "$bad" ]; then
    echo "format: not clang-formatted (run clang-format -i):" $bad
  else
    printf 'format: clang-format failed:\n%s\n' "$report"
  fi
  exit 1
fi
echo "format: ok"
