#!/usr/bin/env bash
# `cmake --install` into a temp prefix, then checks what it installed, without root:
#   - the programs are there and the units' ExecStart/EnvironmentFile name them;
#   - `systemd-analyze verify` accepts both units without a word (unknown keys are only
#     warnings there, so any output fails), for the template as instance @a;
#   - `systemd-analyze security --offline` rates their sandbox at most MAX_EXPOSURE;
#   - every CONNECTION_SWAP_* variable the installed director and worker read (their
#     --help) is listed in the installed example env file, so it cannot go stale.
# Without systemd-analyze the two systemd checks are skipped with a message; the rest runs.
# Usage: units.sh BUILD_DIR [MAX_EXPOSURE (default 2.0)]
set -euo pipefail

BUILD=${1:?usage: units.sh BUILD_DIR [MAX_EXPOSURE]}
MAX_EXPOSURE=${2:-2.0}
DIR=$(mktemp -d /tmp/connswap-units.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

PREFIX=$DIR/usr
cmake --install "$BUILD" --prefix "$PREFIX" >"$DIR/install.log" 2>&1 ||
  { cat "$DIR/install.log"; fail "cmake --install failed"; }
UNITS=$PREFIX/lib/systemd/system
ETC=$PREFIX/etc/connswap
for p in director worker client ctl certs keys; do
  [ -x "$PREFIX/bin/connswap-$p" ] || fail "connswap-$p not installed"
done
for p in impair quicperf; do
  [ ! -e "$PREFIX/bin/connswap-$p" ] || fail "test tool connswap-$p installed"
done
[ -z "$(find "$PREFIX" -name '*_test' -o -name '*bench*' | head -1)" ] || fail "tests installed"

check_unit() {  # UNIT PROGRAM ENVFILE
  local unit=$1 program=$2 envfile=$3
  [ -f "$UNITS/$unit" ] || fail "$unit not installed"
  grep -qx "ExecStart=$PREFIX/bin/$program" "$UNITS/$unit" || fail "$unit: ExecStart"
  grep -qx "EnvironmentFile=$ETC/$envfile" "$UNITS/$unit" || fail "$unit: EnvironmentFile"
  grep -qx 'DynamicUser=yes' "$UNITS/$unit" || fail "$unit: no DynamicUser"
}
check_unit connswap-director.service connswap-director director.env
check_unit connswap-worker@.service connswap-worker 'worker-%i.env'
echo "installed: $(cd "$PREFIX" && find . -type f | sort | tr '\n' ' ')"

if command -v systemd-analyze >/dev/null; then
  for unit in connswap-director.service connswap-worker@a.service; do
    out=$(systemd-analyze verify "$UNITS/$unit" 2>&1) || fail "verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit said: $out"
    if out=$(systemd-analyze security --offline=yes "$UNITS/$unit" 2>&1); then
      level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
      [ -n "$level" ] || fail "no exposure level for $unit: $out"
      awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }' ||
        fail "$unit: exposure $level > $MAX_EXPOSURE"
      echo "$unit: systemd-analyze verify clean, security exposure $level (<= $MAX_EXPOSURE)"
    else
      echo "SKIP (one check): systemd-analyze security --offline unsupported here; $unit verified"
    fi
  done
else
  echo "SKIP (two checks): systemd-analyze not installed: units not verified"
fi

check_env() {  # PROGRAM ENVFILE
  local names missing=()
  names=$("$PREFIX/bin/$1" --help | grep -o '(Env:[A-Z0-9_]*)' | sed 's/(Env:\(.*\))/\1/' | sort -u)
  [ -n "$names" ] || fail "$1 --help lists no environment variables"
  for n in $names; do
    grep -Eq "^#?$n=" "$ETC/$2" || missing+=("$n")
  done
  [ ${#missing[@]} = 0 ] || fail "$2 lacks ${missing[*]} (add them, commented, with the default)"
  echo "$2: all $(wc -w <<<"$names") variables of $1 listed"
}
check_env connswap-director director.env
check_env connswap-worker worker-a.env
echo "PASS"
