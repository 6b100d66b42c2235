#!/usr/bin/env bash
# Runs clang-tidy (checks in .clang-tidy) over every .cc in src/ and apps/, using the
# compile_commands.json of an already built tree (generated protobuf headers must exist).
#   scripts/tidy.sh BUILD_DIR              all of src/ and apps/
#   scripts/tidy.sh BUILD_DIR src/wire ... only the .cc files under these paths (tests/ too)
# tests/ is not in the default set: a gtest TU costs ~9 s of clang-tidy CPU, so its 73 TUs
# would nearly double the ~12 CPU-minute cold run that CI (2 cores) pays.
# Prints every finding and exits 1 if there is any. Runs CONNSWAP_JOBS (default 2) TUs at
# once. A TU that comes out clean is remembered in a cache outside the clone, keyed by a
# hash of its preprocessed source, its flags, .clang-tidy and the clang-tidy version, so on
# a warm machine only TUs whose code (or any header it includes) changed are checked again.
# CONNSWAP_TIDY_CACHE overrides the cache directory; set it to "off" to disable it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [PATH...]" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json" >&2; exit 2; }
jobs=${CONNSWAP_JOBS:-2}
cache=${CONNSWAP_TIDY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connswap-tidy}


tidy_bin=$(command -v clang-tidy) || { echo "tidy: clang-tidy not installed" >&2; exit 2; }
# The clang that ships with this clang-tidy preprocesses each TU for the cache key, so the
# key covers exactly the headers clang-tidy's own frontend reads.
cxx=$(dirname "$(readlink -f "$tidy_bin")")/clang++
[ -x "$cxx" ] || cxx=clang++
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out" "$tmp/pp"
[ "$cache" = off ] || mkdir -p "$cache"

# One line per TU: index, source file, directory; the -E command goes to pp/<index>.
python3 - "$root" "$build/compile_commands.json" "$tmp" "$@" >"$tmp/tus" <<'EOF'
import json, os, shlex, subprocess, sys
root, db_path, tmp, *paths = sys.argv[1:]
paths = [os.path.relpath(os.path.abspath(p), root) for p in paths] or ['src', 'apps']
tracked = subprocess.run(['git', '-C', root, 'ls-files', '--', '*.cc'],
                         check=True, capture_output=True, text=True).stdout.split()
wanted = sorted(f for f in tracked
                if any(f == p or f.startswith(p.rstrip('/') + '/') for p in paths))
db = {}
for e in json.load(open(db_path)):
    db[os.path.relpath(os.path.join(e['directory'], e['file']), root)] = e
missing = [f for f in wanted if f not in db]
if missing:
    sys.exit('tidy: not in compile_commands.json: ' + ' '.join(missing))
for i, f in enumerate(wanted):
    e = db[f]
    args = e.get('arguments') or shlex.split(e['command'])
    out, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
        elif a == '-o':
            skip = True
        elif a != '-c' and not a.startswith('-o'):
            out.append(a)
    with open(f'{tmp}/pp/{i}', 'w') as pp:
        pp.write(shlex.join(out))
    print(f'{i}\t{f}\t{e["directory"]}')
EOF

exclude_args=()
excluded() {  # path relative to the root
  local g
  for g in "${exclude_args[@]}"; do
    # shellcheck disable=SC2053
    [[ $1 == $g ]] && return 0
  done
  return 1
}

key_salt=$( { "$tidy_bin" --version; cat "$root/.clang-tidy"; } | sha256sum | cut -d' ' -f1)

# Keeps only diagnostics (with their source lines and notes) outside the exclusions.
filter() {
  local line file keep=1
  while IFS= read -r line; do
    if [[ $line =~ ^(/[^:]+):[0-9]+:[0-9]+:\ (warning|error): ]]; then
      file=${BASH_REMATCH[1]}
      keep=1
      excluded "${file#"$root"/}" && keep=0
    elif [[ $line =~ ^(warning|error): ]]; then
      keep=1
    elif [[ $line =~ ^[0-9]+\ (warnings?|errors?)\ (generated|treated) ]]; then
      continue
    fi
    [ "$keep" = 1 ] && printf '%s\n' "$line"
  done
  return 0
}

tidy_one() {  # index, file, directory
  local i=$1 f=$2 dir=$3 key="" out="$tmp/out/$1" rc=0
  if [ "$cache" != off ] && (cd "$dir" &&
    eval "'$cxx' -E -Wno-unknown-warning-option $(cat "$tmp/pp/$i")") >"$out.i" 2>/dev/null; then
    # Absolute paths are normalised so that clones in other directories share entries.
    key=$( { cat "$out.i" "$tmp/pp/$i"; echo "$key_salt"; } \
      | sed -e "s|$build|@BUILD@|g" -e "s|$root|@ROOT@|g" | sha256sum | cut -d' ' -f1)
    rm -f "$out.i"
    if [ -e "$cache/$key" ]; then
      echo cached >"$out.status"
      return 0
    fi
  fi
  "$tidy_bin" -p "$build" --quiet "$root/$f" >"$out.raw" 2>&1 || rc=$?
  filter <"$out.raw" >"$out"
  if grep -Eq '(^|: )(warning|error):|Error while processing' "$out"; then
    echo findings >"$out.status"
  elif [ "$rc" != 0 ] && ! grep -Eq '(^|: )(warning|error):' "$out.raw"; then
    cp "$out.raw" "$out"  # clang-tidy failed without a diagnostic (crash, bad flags)
    echo findings >"$out.status"
  else
    echo clean >"$out.status"
    # Only a TU with no finding at all is cached, not one made clean by the exclusions.
    [ -z "$key" ] || [ "$rc" != 0 ] || grep -Eq '(^|: )(warning|error):' "$out.raw" ||
      touch "$cache/$key"
  fi
}
export -f tidy_one filter excluded
export tmp cache build root cxx tidy_bin key_salt
export exclude_list="${exclude_args[*]}"

total=0; skipped=0
while IFS=$'\t' read -r i f dir; do
  if excluded "$f"; then
    skipped=$((skipped + 1))
    continue
  fi
  printf '%s\0%s\0%s\0' "$i" "$f" "$dir"
  total=$((total + 1))
done <"$tmp/tus" >"$tmp/queue"
echo "tidy: $total TUs, -j$jobs, cache ${cache}"
# Bash cannot export arrays: each worker rebuilds the exclusion list from a string.
xargs -0 -n3 -P "$jobs" bash -c \
  'read -ra exclude_args <<<"$exclude_list"; tidy_one "$@"' _ <"$tmp/queue" || true

cached=0; checked=0; bad=()
while IFS=$'\t' read -r i f dir; do
  excluded "$f" && continue
  [ -f "$tmp/out/$i.status" ] || echo "clang-tidy did not finish" >"$tmp/out/$i"
  case $(cat "$tmp/out/$i.status" 2>/dev/null) in
    cached) cached=$((cached + 1)) ;;
    clean) checked=$((checked + 1)) ;;
    *) checked=$((checked + 1)); bad+=("$i:$f") ;;
  esac
done <"$tmp/tus"
echo "tidy: $cached cached, $checked checked, ${#bad[@]} with findings"
[ ${#bad[@]} -eq 0 ] && exit 0
for b in "${bad[@]}"; do
  printf '\n--- %s\n' "${b#*:}"
  cat "$tmp/out/${b%%:*}"
done
echo
echo "tidy: findings (each once):"
cat "$tmp"/out/[0-9]* | grep -E '^(/[^:]+:[0-9]+:[0-9]+: )?(warning|error):' \
  | sed -e "s|^$root/||" | sort -u
exit 1
