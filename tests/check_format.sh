#!/usr/bin/env bash
# Every tracked C++ file is clang-formatted with the repository's .clang-format.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format not installed"; exit 1
fi
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find src apps tests bench -name '*.h' -o -name '*.cc')
bad=()
for f in $files; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "format: not clang-formatted (run clang-format -i): ${bad[*]}"
  exit 1
fi
echo "format: ok"
