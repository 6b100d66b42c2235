#!/usr/bin/env bash
# The README's first command: a director, two workers and a client on the seed's ports, with
# one visible migration. worker-a fails after 15 s (in-band error, like the seed); worker-b
# never fails. The client streams 60 tokens at 500 ms (about 30 s) and must see every token
# exactly once, in order, on one QUIC connection. About a minute once built.
#   scripts/demo.sh          exit 0 only if the client verified its stream and migrated
# Logs: build/demo/*.log (kept after the run). Every process is stopped by its PID on exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=${CONNSWAP_JOBS:-2}
build=build/release
bin=$build/apps
work=build/demo
ports=(61000 61001 62001 62002 63001 63002)

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

pids=()
stop_all() {
  local i pid
  # Client, workers, then the director, each given 5 s: a worker with no streams left
  # drains at once, and the director outlives them so they do not try to register again.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_all
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "installing missing packages"
scripts/setup.sh

say "building $build (Release; the first build takes several minutes on 2 cores)"
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$build/demo-configure.log" 2>&1 ||
    { tail -n 30 "$build/demo-configure.log"; die "cmake configure failed (log: $build/demo-configure.log)"; }
fi
cmake --build "$build" -j"$jobs" \
  --target connswap-director connswap-worker connswap-client connswap-certs >"$build/demo-build.log" 2>&1 ||
  { tail -n 30 "$build/demo-build.log"; die "build failed (log: $build/demo-build.log)"; }
echo "built: connswap-director, connswap-worker, connswap-client, connswap-certs"

say "checking that the seed's ports are free (UDP ${ports[*]})"
for port in "${ports[@]}"; do
  if ! python3 - "$port" 2>/dev/null <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
EOF
  then
    die "UDP port $port is busy (see: ss -Hlunp 'sport = :$port'); stop whatever holds it and retry"
  fi
done
echo "all free"

rm -rf "$work"
mkdir -p "$work"
say "making certificates in $work/certs"
"$bin/certs/connswap-certs" --out "$work/certs" >/dev/null
tls=(--tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server-key.pem"
     --tls-ca "$work/certs/ca.pem")
export RUST_LOG=info

exec 3>&1  # the terminal, for view() of a process whose stdout goes elsewhere
# Each process's output goes through view(): the whole log to build/demo/NAME.log, the
# interesting lines to the terminal, prefixed with the process name.
# mawk (Debian's default awk) reads pipes in blocks unless told -W interactive.
awk_live=(awk)
if awk -W version 2>&1 | grep -q mawk; then
  awk_live=(awk -W interactive)
fi
view() {  # name
  "${awk_live[@]}" -v name="$1" -v logfile="$work/$1.log" '
    { print > logfile; fflush(logfile) }
    / (DEBUG|TRACE) / || /^$/ { next }
    # Transport chatter and the long configuration lines stay in the log files.
    / INFO (net|quic|rpc|rpcnet) / || /effective configuration$/ || /: MGMT connection$/ { next }
    $1 ~ /^[0-9]+:[0-9]+:[0-9]+\./ {
      split($1, t, "."); level = $2
      line = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", line)  # time, level, module
      printf "%s %-10s %-5s %s\n", t[1], "[" name "]", level, line
      fflush(); next
    }
    { printf "%-19s %s\n", "[" name "]", $0; fflush() }'
}

wait_ready() {  # name, file, pid
  for _ in $(seq 200); do
    [ -s "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || die "$1 exited at startup (log: $work/$1.log)"
    sleep 0.1
  done
  die "$1 did not become ready in 20 s (log: $work/$1.log)"
}
wait_log() {  # file, text, what
  for _ in $(seq 200); do
    grep -qs -- "$2" "$1" && return 0
    sleep 0.1
  done
  die "timed out waiting for $3 (log: $1)"
}

say "starting the director (USER 61000, MGMT 61001) and two workers"
CONNECTION_SWAP_DIRECTOR_USER_ADDR=127.0.0.1:61000 \
CONNECTION_SWAP_DIRECTOR_MGMT_ADDR=127.0.0.1:61001 \
  "$bin/director/connswap-director" "${tls[@]}" --ready-file "$work/director.ready" \
  > >(view director) 2>&1 &
pids+=($!)
wait_ready director "$work/director.ready" "${pids[-1]}"

start_worker() {  # label, user port, mgmt port, extra flags...
  local label=$1 user=$2 mgmt=$3
  shift 3
  CONNECTION_SWAP_WORKER_USER_ADDR=127.0.0.1:$user \
  CONNECTION_SWAP_WORKER_MGMT_ADDR=127.0.0.1:$mgmt \
  CONNECTION_SWAP_WORKER_LABEL=$label \
  CONNECTION_SWAP_DIRECTOR_MGMT_ADDR=127.0.0.1:61001 \
    "$bin/worker/connswap-worker" "${tls[@]}" --ready-file "$work/$label.ready" "$@" \
    > >(view "$label") 2>&1 &
  pids+=($!)
  wait_ready "$label" "$work/$label.ready" "${pids[-1]}"
}
start_worker worker-a 62001 63001 --fail-after-ms 15000 --fail-mode error
start_worker worker-b 62002 63002 --fail-mode none
wait_log "$work/director.log" "worker=worker-a .*worker registered" "worker-a to register"
wait_log "$work/director.log" "worker=worker-b .*worker registered" "worker-b to register"

say "running the client: 60 tokens at 500 ms; worker-a fails after 15 s"
CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:61000 \
  "$bin/client/connswap-client" --tls-ca "$work/certs/ca.pem" --max-tokens 60 \
  2> >(view client >&3) >"$work/client.out" &
client=$!
pids+=("$client")
client_status=0
wait "$client" || client_status=$?
say "stopping the workers (SIGTERM: drain) and the director"
stop_all
sleep 0.3  # let view() print the last lines before the summary

summary=$(grep '^summary ' "$work/client.out" || true)
say "client summary (exit status $client_status)"
echo "${summary:-<no summary line>}"
migrations=$(sed -n 's/.* migrations=\([0-9]*\).*/\1/p' <<<"$summary")
if [[ "$summary" == *" verified=true"* && "${migrations:-0}" -ge 1 && $client_status -eq 0 ]]; then
  say "demo passed: every token exactly once, in order, across $migrations migration(s) on one QUIC connection"
  echo "logs: $work/"
  exit 0
fi
die "demo failed: expected verified=true and migrations >= 1 (logs: $work/)"
