#!/usr/bin/env bash
# connswap-bench on an impaired network (docs/RELIABILITY.md, "Impaired network"): a
# director and WORKERS workers on 127.0.0.1, every link through a connswap-impair relay
# (client <-> director; director <-> each worker, USER and MGMT), then connswap-bench
# against the client-side relay. `--fail kill|stop|term` hits worker-1 (--fail-pid).
# Usage: bench/impaired.sh BUILD_DIR [connswap-bench args...]
#   IMPAIR   relay flags on every link   (default: --loss 0.05 --delay-ms 50 --jitter-ms 10)
#   WORKERS  workers (default 2)      SEED  relay seed (default 1; relay i uses SEED+i)
#   TOKEN_INTERVAL_MS  the workers' pacing (default 25; pass the same to the bench)
#   DIRECTOR_ARGS / WORKER_ARGS   extra flags for the director / the workers
# Example: bench/impaired.sh build/release --streams 50 --seconds 10 --max-tokens 0 \
#            --token-interval-ms 25 --fail kill
set -euo pipefail

BUILD=${1:?usage: impaired.sh BUILD_DIR [connswap-bench args...]}
shift
BIN=$BUILD/apps
read -r -a IMPAIR_FLAGS <<<"${IMPAIR:---loss 0.05 --delay-ms 50 --jitter-ms 10}"
read -r -a DIRECTOR_EXTRA <<<"${DIRECTOR_ARGS:-}"
read -r -a WORKER_EXTRA <<<"${WORKER_ARGS:-}"
WORKERS=${WORKERS:-2}
SEED=${SEED:-1}
DIR=$(mktemp -d /tmp/connswap-impaired-bench.XXXXXX)
PIDS=()

cleanup() {
  local status=$?
  # Workers first (they tell the director through their relays), the director last.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  for f in "$DIR"/relay-*.out; do [ -s "$f" ] && sed "s|^|$(basename "$f" .out) |" "$f" >&2; done
  [ "$status" = 0 ] || for f in "$DIR"/*.err; do echo "--- $f" >&2; tail -5 "$f" >&2; done
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

wait_file() {
  local end=$((SECONDS + 20))
  until [ -s "$1" ]; do
    [ $SECONDS -lt $end ] || { echo "timeout waiting for $1" >&2; exit 1; }
    sleep 0.05
  done
}
field() { grep "^$2=" "$1" | cut -d= -f2; }
start() {
  local name=$1; shift
  "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
  PIDS+=($!)
}

"$BIN/certs/connswap-certs" --out "$DIR/certs" >/dev/null
# Each program its role's certificate (docs/PROTOCOL.md §7.5).
tls() { echo --tls-cert "$DIR/certs/$1.pem" --tls-key "$DIR/certs/$1-key.pem" --tls-ca "$DIR/certs/ca.pem"; }
start director "$BIN/director/connswap-director" $(tls director) --user-addr 127.0.0.1:0 \
  --mgmt-addr 127.0.0.1:0 --ready-file "$DIR/director.ready" "${DIRECTOR_EXTRA[@]}"
wait_file "$DIR/director.ready"
start relay-client "$BIN/impair/connswap-impair" "${IMPAIR_FLAGS[@]}" --seed "$SEED" \
  --link "user,127.0.0.1:0,$(field "$DIR/director.ready" user)" \
  --ready-file "$DIR/relay-client.ready"
wait_file "$DIR/relay-client.ready"
FAIL_PID=
for i in $(seq 1 "$WORKERS"); do
  start "relay-w$i" "$BIN/impair/connswap-impair" "${IMPAIR_FLAGS[@]}" --seed $((SEED + i)) \
    --link "user,127.0.0.1:0,@$DIR/worker-$i.ready#user" \
    --link "mgmt,127.0.0.1:0,$(field "$DIR/director.ready" mgmt)" \
    --ready-file "$DIR/relay-w$i.ready"
  wait_file "$DIR/relay-w$i.ready"
  start "worker-$i" "$BIN/worker/connswap-worker" $(tls worker) --label "worker-$i" \
    --user-addr 127.0.0.1:0 --mgmt-addr 127.0.0.1:0 --fail-after-ms 0 --fail-mode none \
    --token-interval-ms "${TOKEN_INTERVAL_MS:-25}" --drain-timeout-ms 2000 \
    --director-mgmt-addr "$(field "$DIR/relay-w$i.ready" mgmt)" \
    --advertise-user-addr "$(field "$DIR/relay-w$i.ready" user)" \
    --ready-file "$DIR/worker-$i.ready" "${WORKER_EXTRA[@]}"
  [ -n "$FAIL_PID" ] || FAIL_PID=${PIDS[-1]}
done
end=$((SECONDS + 20))
until [ "$(grep -c 'worker registered' "$DIR/director.err")" -ge "$WORKERS" ]; do
  [ $SECONDS -lt $end ] || { echo "workers did not register" >&2; exit 1; }
  sleep 0.05
done
"$BIN/../bench/load/connswap-bench" --director "$(field "$DIR/relay-client.ready" user)" \
  --tls-ca "$DIR/certs/ca.pem" --pid "${PIDS[0]}" --fail-pid "$FAIL_PID" "$@"
