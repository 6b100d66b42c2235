#!/usr/bin/env bash
# The README's first command: a director, two workers and a client on the seed's ports, with
# one visible migration. worker-a fails after 15 s (in-band error, like the seed); worker-b
# never fails. The client streams 60 tokens at 500 ms (about 30 s) and must see every token
# exactly once, in order, on one QUIC connection. Meanwhile two curl streams go through the
# director's OpenAI-compatible HTTP front (127.0.0.1:8080): round robin puts the first on
# worker-b and the second on worker-a, which continues on worker-b word for word. About a
# minute once built.
#   scripts/demo.sh          exit 0 only if the client verified its stream and migrated, and
#                            the curl stream on worker-a migrated and ended with [DONE]
# Logs: build/demo/*.log (kept after the run). Every process is stopped by its PID on exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib/progress.sh
jobs=${CONNSWAP_JOBS:-2}
build=build/release
targets=(connswap-director connswap-worker connswap-client connswap-certs)

# The first line: the estimate, from how much is left to build (a ninja dry run).
steps=$(progress_build_steps "$build" "${targets[@]}")
if [ -z "$steps" ]; then
  estimate="about 6 min on a fresh 2-core machine: packages, a ~4 min build, then the ~1 min demo"
elif [ "$steps" -eq 0 ]; then
  estimate="about 1 min (already built)"
else
  estimate="about $((1 + (steps + 59) / 60)) min: $steps build steps left, then the ~1 min demo"
fi
progress_begin "scripts/demo.sh: a director, two workers and a client, one migration" \
  "$estimate"
bin=$build/apps
work=build/demo
ports=(61000 61001 62001 62002 63001 63002)
http_port=8080

say() { printf '\n==> [%s] %s\n' "$(progress_elapsed)" "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

pids=()
curls=()
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
  [ ${#curls[@]} -eq 0 ] || kill "${curls[@]}" 2>/dev/null || true
  stop_all
  printf 'demo: %s, %s elapsed\n' "$([ "$status" -eq 0 ] && echo done || echo "exit $status")" \
    "$(progress_elapsed)"
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
# Progress: a [done/total] counter with the time left; errors as they come; the whole
# output in $build/demo-build.log.
cmake --build "$build" -j"$jobs" --target "${targets[@]}" 2>&1 |
  progress_ninja "$build/demo-build.log" ||
  { tail -n 30 "$build/demo-build.log"; die "build failed (log: $build/demo-build.log)"; }
echo "built: connswap-director, connswap-worker, connswap-client, connswap-certs"

say "checking that the seed's ports are free (UDP ${ports[*]})"
# port_free udp|tcp PORT: true if 127.0.0.1:PORT can be bound.
port_free() {
  python3 - "$1" "$2" 2>/dev/null <<'EOF'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
socket.socket(socket.AF_INET, kind).bind(("127.0.0.1", int(sys.argv[2])))
EOF
}
for port in "${ports[@]}"; do
  port_free udp "$port" ||
    die "UDP port $port is busy (see: ss -Hlunp 'sport = :$port'); stop whatever holds it and retry"
done
port_free tcp "$http_port" ||
  die "TCP port $http_port is busy (see: ss -Hltnp 'sport = :$http_port'); stop whatever holds it and retry"
echo "all free (and TCP $http_port)"

rm -rf "$work"
mkdir -p "$work"
say "making certificates in $work/certs"
# One certificate per role (docs/PROTOCOL.md §7.5): the director's, and one per worker, so that
# each worker label is bound to its own certificate.
"$bin/certs/connswap-certs" --out "$work/certs" --worker-cert worker-a --worker-cert worker-b \
  >/dev/null
tls_of() {  # certificate name -> the --tls-* flags
  echo --tls-cert "$work/certs/$1.pem" --tls-key "$work/certs/$1-key.pem" \
    --tls-ca "$work/certs/ca.pem"
}
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

say "starting the director (USER 61000, MGMT 61001, HTTP $http_port) and two workers"
CONNECTION_SWAP_DIRECTOR_USER_ADDR=127.0.0.1:61000 \
CONNECTION_SWAP_DIRECTOR_MGMT_ADDR=127.0.0.1:61001 \
CONNECTION_SWAP_DIRECTOR_HTTP_ADDR=127.0.0.1:$http_port \
  "$bin/director/connswap-director" $(tls_of director) --ready-file "$work/director.ready" \
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
    "$bin/worker/connswap-worker" $(tls_of "$label") --ready-file "$work/$label.ready" "$@" \
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
wait_log "$work/director.log" "worker=worker-a stream.id=1: .*worker assigned" "the client's stream"
# Two curl streams, 40 tokens each: round robin puts the first on worker-b, the second on
# worker-a (whose failure it survives).
curl_body='{"messages":[{"role":"user","content":"tell me a story"}],"max_tokens":40,"stream":true}'
for n in 1 2; do
  curl -sS -N -H 'Content-Type: application/json' -d "$curl_body" \
    "http://127.0.0.1:$http_port/v1/chat/completions" >"$work/curl-$n.sse" 2>"$work/curl-$n.err" &
  curls+=($!)
  wait_log "$work/director.log" "connection.id=http-[0-9a-f]*-$n .*worker assigned" "curl stream $n"
done
say "two curl streams through the HTTP front: curl -N http://127.0.0.1:$http_port/v1/chat/completions -d '$curl_body'"
client_status=0
wait "$client" || client_status=$?
curl_status=0
for pid in "${curls[@]}"; do wait "$pid" || curl_status=$?; done
say "stopping the workers (SIGTERM: drain) and the director"
stop_all
sleep 0.3  # let view() print the last lines before the summary

summary=$(grep '^summary ' "$work/client.out" || true)
say "client summary (exit status $client_status)"
echo "${summary:-<no summary line>}"
migrations=$(sed -n 's/.* migrations=\([0-9]*\).*/\1/p' <<<"$summary")
say "curl stream 2 (exit status $curl_status): what the HTTP client saw"
curl_ok=0
python3 - "$work/curl-2.sse" <<'EOF' && curl_ok=1
import json, sys
text, comments, done, errors = "", [], False, []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith(": "):
        comments.append(line[2:])
    elif line == "data: [DONE]":
        done = True
    elif line.startswith("data: "):
        chunk = json.loads(line[6:])
        if "error" in chunk:
            errors.append(chunk["error"])
        for choice in chunk.get("choices", []):
            text += choice.get("delta", {}).get("content") or ""
for c in comments:
    print(": " + c)
print("text:", text.strip())
print(f"[DONE]={done} errors={len(errors)}")
sys.exit(0 if done and not errors and any(c.startswith("migrated ") for c in comments) else 1)
EOF
if [[ "$summary" == *" verified=true"* && "${migrations:-0}" -ge 1 && $client_status -eq 0 &&
      $curl_status -eq 0 && $curl_ok -eq 1 ]]; then
  say "demo passed: every token exactly once, in order, across $migrations migration(s) on one QUIC connection; the curl stream continued word for word"
  echo "logs: $work/"
  exit 0
fi
die "demo failed: expected verified=true, migrations >= 1 and a migrated curl stream ending in [DONE] (logs: $work/)"
