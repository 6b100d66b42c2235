#!/usr/bin/env bash
# Transport benchmark: connswap-quicperf (our ngtcp2 + GnuTLS transport) side by side with
# Debian's own ngtcp2 example programs (gtlsserver -> gtlsclient, HTTP/3), in one run, on
# loopback. Prints one JSON line per measurement and a summary table.
#
#   bench/transport.sh [BUILD_DIR]       (default build/release; run scripts/test.sh or build first)
#   RUNS=5 BYTES=268435456 RTT_COUNT=20000 bench/transport.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
runs=${RUNS:-3}
bytes=${BYTES:-268435456}
rtt_count=${RTT_COUNT:-10000}
perf=$build/apps/quicperf/connswap-quicperf
certs_tool=$build/apps/certs/connswap-certs
for f in "$perf" "$certs_tool"; do
  [ -x "$f" ] || { echo "transport.sh: $f not built (cmake --build $build)" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$certs_tool" --out "$work/certs" >/dev/null

start_server() {  # extra server flags...
  rm -f "$work/port"
  "$perf" server --listen 127.0.0.1:0 --cert "$work/certs/server.pem" \
    --key "$work/certs/server-key.pem" --port-file "$work/port" "$@" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    [ -s "$work/port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "transport.sh: server did not start" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

client() {  # mode, extra flags...
  local mode=$1; shift
  timeout 120 "$perf" client --connect "127.0.0.1:$(cat "$work/port")" --ca "$work/certs/ca.pem" \
    --mode "$mode" --json "$@"
}

results=$work/results.jsonl
for variant in "gso+gro" "no-gso/gro"; do
  flags=()
  [ "$variant" = "no-gso/gro" ] && flags=(--no-gso --no-gro)
  start_server "${flags[@]}"
  for _ in $(seq 1 "$runs"); do
    client download --bytes "$bytes" "${flags[@]}" | sed "s|^{|{\"variant\":\"$variant\",|" | tee -a "$results"
  done
  client rtt --count "$rtt_count" --size 64 "${flags[@]}" | sed "s|^{|{\"variant\":\"$variant\",|" | tee -a "$results"
  stop_server
done

if command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null; then
  RUNS=$runs BYTES=$bytes "$root/bench/reference_ngtcp2.sh" "$certs_tool" | tee -a "$results"
else
  echo "transport.sh: gtlsserver/gtlsclient missing (apt-get install ngtcp2-server ngtcp2-client)" >&2
fi

python3 "$root/bench/transport/summarize.py" "$results"
