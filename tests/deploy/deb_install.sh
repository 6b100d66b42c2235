#!/usr/bin/env bash
# Builds the .deb (cpack -G DEB), installs it on this machine (dpkg -i), and runs a short
# migration scenario from the INSTALLED programs, each started the way its installed unit
# says: ExecStart, Environment=, EnvironmentFile= and LoadCredential= read from
# /usr/lib/systemd/system/*.service (%i and %d substituted), as an unprivileged user with
# no_new_privs (DynamicUser=yes, NoNewPrivileges=yes). systemd is not PID 1 here, so the
# unit's sandbox itself is not exercised (tests/deploy/units.sh checks it offline).
# A client streams through the director, the worker serving it is SIGKILLed, the stream
# ends with every token exactly once (the client's verifier). Then `dpkg --purge connswap`
# (also on failure) leaves the machine as it was.
# Usage: deb_install.sh BUILD_DIR [SANITIZE]. Not root: re-runs itself with passwordless
# sudo if there is one. Exit 77 (skip) when neither, when SANITIZE is ON (the Release suite
# covers packaging; ASan binaries in /usr/bin prove nothing more), or when a connswap
# package or /etc/connswap is already on this machine (never touched).
set -euo pipefail

BUILD=${1:?usage: deb_install.sh BUILD_DIR [SANITIZE]}
SANITIZE=${2:-OFF}
TOKENS=${CONNSWAP_DEB_TOKENS:-120}
RUN_UID=65534  # nobody: stands in for the unit's DynamicUser
UNIT_DIR=/usr/lib/systemd/system
ETC=/etc/connswap

. "$(dirname "${BASH_SOURCE[0]}")/../lib/poll.sh"  # skip, fail, wait_until, has_file, has_line, field
case "$SANITIZE" in ON | on | 1 | TRUE | true) skip "sanitizer build: the .deb is tested in the Release suite" ;; esac
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || skip "needs root or passwordless sudo for dpkg -i"
  exec sudo -n "$0" "$@"
fi
for tool in cpack dpkg dpkg-deb setpriv; do
  command -v "$tool" >/dev/null || skip "no $tool"
done
# RESOURCE_LOCK serialises one ctest run; this lock also serialises separate runs (other
# checkouts on the same machine), which would otherwise install over each other.
command -v flock >/dev/null || skip "no flock(1)"
exec 9>/run/lock/connswap-deb-install.lock
flock -w 170 9 || fail "another deb_install held the lock for 170 s"
if dpkg-query -W -f='${Status}' connswap 2>/dev/null | grep -q 'installed\|config-files'; then
  skip "a connswap package is already on this machine; not touching it"
fi
[ ! -e "$ETC" ] || skip "$ETC exists without the package; not touching it"

DIR=$(mktemp -d /tmp/connswap-deb.XXXXXX)
chmod 755 "$DIR"  # the unprivileged services reach their run/ and credentials below
PIDS=()
INSTALLED=0

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" != 0 ] && [ "$status" != 77 ]; then
    for f in "$DIR"/*.err; do [ -f "$f" ] && { echo "----- $f (last 15 lines)"; tail -15 "$f"; }; done
  fi
  if [ "$INSTALLED" = 1 ]; then
    # What the test added under /etc/connswap (certificates, worker-b.env), then the package.
    rm -rf "$ETC/tls" "$ETC/worker-b.env"
    dpkg --purge connswap >"$DIR/purge.log" 2>&1 || { cat "$DIR/purge.log"; status=1; }
    if dpkg-query -W connswap >/dev/null 2>&1 || [ -e "$ETC" ] || [ -e /usr/bin/connswap-director ]; then
      echo "FAIL: the purge left connswap behind"; status=1
    else
      echo "purged: no connswap package, $ETC or /usr/bin/connswap-* left"
    fi
  fi
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM


# --- build and install the package -------------------------------------------------------
cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$DIR/pkg" >"$DIR/cpack.log" 2>&1 ||
  { cat "$DIR/cpack.log"; fail "cpack -G DEB failed"; }
DEB=$(ls "$DIR"/pkg/connswap_*.deb)
echo "built $(basename "$DEB"): $(dpkg-deb -f "$DEB" Depends)"
INSTALLED=1
dpkg -i "$DEB" >"$DIR/dpkg.log" 2>&1 || { cat "$DIR/dpkg.log"; fail "dpkg -i failed"; }
echo "installed: $(dpkg-query -W -f='${Package} ${Version} ${Status}' connswap)"
for f in /usr/bin/connswap-director /usr/bin/connswap-worker /usr/bin/connswap-client \
  "$UNIT_DIR/connswap-director.service" "$UNIT_DIR/connswap-worker@.service" \
  "$ETC/director.env" "$ETC/worker-a.env"; do
  [ -e "$f" ] || fail "the package did not install $f"
done
[ "$(stat -c %a "$ETC/tls")" = 700 ] || fail "postinst did not make $ETC/tls mode 0700"
dpkg-query -W -f='${Conffiles}\n' connswap | grep -q "$ETC/director.env" ||
  fail "director.env is not a conffile"

# What an operator does next (docs/INSTALL.md): certificates, one env file per worker.
/usr/bin/connswap-certs --out "$ETC/tls" >/dev/null
cp "$ETC/worker-a.env" "$ETC/worker-b.env"

# --- starting a unit the way systemd would -----------------------------------------------
# unit_values FILE KEY: the values of KEY= in the [Service] section, one per line.
unit_values() {
  awk -v key="$2" '
    /^\[/ { service = ($0 == "[Service]") }
    service && index($0, key "=") == 1 { print substr($0, length(key) + 2) }' "$1"
}
# specifiers VALUE INSTANCE CREDDIR: %i and %d as systemd expands them; any other % fails.
specifiers() {
  local v=${1//%i/$2}
  v=${v//%d/$3}
  case "$v" in *%*) fail "unhandled specifier in '$1'" ;; esac
  printf '%s' "$v"
}
# env_file_lines FILE: KEY=VALUE lines of a systemd EnvironmentFile (comments and blank
# lines dropped, one pair of surrounding quotes removed).
env_file_lines() {
  awk '{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "") }
    /^[#;]/ || $0 == "" { next }
    /^[A-Za-z_][A-Za-z0-9_]*=/ {
      eq = index($0, "="); key = substr($0, 1, eq - 1); v = substr($0, eq + 1)
      q = substr(v, 1, 1)
      if ((q == "\"" || q == "\047") && length(v) >= 2 && substr(v, length(v)) == q) {
        v = substr(v, 2, length(v) - 2)
      }
      print key "=" v; next
    }
    { print "bad line in " FILENAME ": " $0 > "/dev/stderr"; exit 1 }' "$1"
}

# start_unit NAME UNIT INSTANCE OVERRIDE...: runs the unit's ExecStart as RUN_UID with the
# unit's environment, then the test's OVERRIDEs (KEY=VALUE: addresses and ready file only).
start_unit() {
  local name=$1 unit=$2 instance=$3; shift 3
  local creds="$DIR/creds/$name" env=() line cred src
  mkdir -p "$creds"
  while IFS= read -r cred; do  # LoadCredential=ID:PATH, copied like systemd does
    src=$(specifiers "${cred#*:}" "$instance" "$creds")
    [ -r "$src" ] || fail "$unit: credential source $src missing"
    install -m 0400 -o "$RUN_UID" "$src" "$creds/${cred%%:*}"
  done < <(unit_values "$unit" LoadCredential)
  chown "$RUN_UID" "$creds" && chmod 0500 "$creds"
  while IFS= read -r line; do
    env+=("$(specifiers "$line" "$instance" "$creds")")
  done < <(unit_values "$unit" Environment)
  while IFS= read -r line; do  # read after Environment=, so a setting there wins
    local file
    file=$(specifiers "${line#-}" "$instance" "$creds")
    [ -r "$file" ] || [ "${line:0:1}" = - ] || fail "$unit: EnvironmentFile $file missing"
    [ -r "$file" ] && while IFS= read -r kv; do env+=("$kv"); done < <(env_file_lines "$file")
  done < <(unit_values "$unit" EnvironmentFile)
  local exec
  exec=$(unit_values "$unit" ExecStart)
  [ "$(wc -l <<<"$exec")" = 1 ] || fail "$unit: not one ExecStart"
  case "$exec" in /usr/bin/connswap-*) ;; *) fail "$unit: ExecStart '$exec' is not an installed program" ;; esac
  echo "$name: $exec as uid $RUN_UID; $unit sets ${#env[@]} variables; test overrides: $*"
  # shellcheck disable=SC2086  # ExecStart is split on spaces like systemd's simple lines
  env -i PATH=/usr/bin:/bin "${env[@]}" "$@" \
    setpriv --reuid="$RUN_UID" --regid="$RUN_UID" --clear-groups --no-new-privs \
    $exec >"$DIR/$name.out" 2>"$DIR/$name.err" &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

mkdir -p "$DIR/run" && chown "$RUN_UID" "$DIR/run"
start_unit director "$UNIT_DIR/connswap-director.service" "" \
  CONNECTION_SWAP_DIRECTOR_USER_ADDR=127.0.0.1:0 CONNECTION_SWAP_DIRECTOR_MGMT_ADDR=127.0.0.1:0 \
  CONNECTION_SWAP_DIRECTOR_READY_FILE="$DIR/run/director.ready"
wait_until 20 has_file "$DIR/run/director.ready" || fail "director not ready"
D_USER=$(field "$DIR/run/director.ready" user)
D_MGMT=$(field "$DIR/run/director.ready" mgmt)
for w in a b; do
  # 20 ms tokens keep the stream short; everything else is the installed worker-a.env.
  start_unit "worker-$w" "$UNIT_DIR/connswap-worker@.service" "$w" \
    CONNECTION_SWAP_WORKER_USER_ADDR=127.0.0.1:0 CONNECTION_SWAP_WORKER_MGMT_ADDR=127.0.0.1:0 \
    CONNECTION_SWAP_DIRECTOR_MGMT_ADDR="$D_MGMT" CONNECTION_SWAP_WORKER_TOKEN_INTERVAL_MS=20 \
    CONNECTION_SWAP_WORKER_READY_FILE="$DIR/run/worker-$w.ready"
done
for w in a b; do
  wait_until 20 has_line "$DIR/director.err" "worker=$w .*worker registered" ||
    fail "worker $w (label from %i) did not register"
done

for w in a b; do  # the unit's Environment= reached the program: label %i, no simulated failure
  grep -q "label=$w .*fail_after_ms=0 fail_mode=none .*tls_cert=$DIR/creds/worker-$w/tls-cert" \
    "$DIR/worker-$w.err" || fail "worker $w: the unit's settings are not in effect"
done

# --- the scenario: a stream, its worker SIGKILLed, every token once ----------------------
/usr/bin/connswap-client --director "$D_USER" --tls-ca "$ETC/tls/ca.pem" \
  --connection-id conn-deb --max-tokens "$TOKENS" --log-level info \
  >"$DIR/client.out" 2>"$DIR/client.err" &
PID_client=$!
PIDS+=("$PID_client")
wait_until 30 has_line "$DIR/client.err" "sequence=15:" || fail "the stream did not start"
victim=$(grep -m1 'sequence=15:' "$DIR/client.err" | grep -o 'worker=[a-z]*' | cut -d= -f2)
[ -n "$victim" ] || fail "no worker named in the client's token lines"
victim_pid_var="PID_worker_$victim"
kill -KILL "${!victim_pid_var}"
wait "${!victim_pid_var}" 2>/dev/null || true  # reaped here: no job notice later
echo "killed worker $victim (SIGKILL) at sequence 15"
wait "$PID_client" || fail "the client exited non-zero"
summary=$(grep '^summary ' "$DIR/client.out") || fail "the client printed no summary"
echo "client: $summary"
grep -q 'verified=true' <<<"$summary" || fail "not verified"
grep -q " lost=0 duplicated=0 out_of_order=0 " <<<"$summary" || fail "tokens lost or repeated"
grep -Eq "tokens=$TOKENS( |$)" <<<"$summary" || fail "not $TOKENS tokens"
grep -Eq 'migrations=[1-9]' <<<"$summary" || fail "no migration"
grep -q "from_worker=$victim " "$DIR/client.err" || fail "the stream did not move off $victim"
echo "PASS: installed package, units' environment, worker $victim killed, every token once"
