#!/usr/bin/env bash
# connswap direct-to-worker vs gRPC C++, same shape, same run: an unpaced server stream of
# WorkerItem tokens (connswap-worker's Worker/Generate vs connswap-grpc-bench's GrpcWorker/
# Generate, identical messages), TLS on both, one client connection, 1 and 100 streams.
# Runs alternate (connswap, gRPC, connswap, ...) so both see the same machine; prints the
# median tokens/s of each and the ratio connswap / gRPC (goal >= 1.0).
#
#   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONNSWAP_BUILD_GRPC_BENCH=ON
#   cmake --build build/release -j2 --target connswap-bench connswap-grpc-bench
#   RUNS=3 SECONDS_PER_RUN=5 bench/compare_grpc.sh build/release
set -euo pipefail
build="${1:-build/release}"
runs="${RUNS:-3}"
secs="${SECONDS_PER_RUN:-5}"
streams_list="${STREAMS:-1 100}"
bench="$build/bench/load/connswap-bench"
grpc="$build/bench/grpc/connswap-grpc-bench"
certs="$build/apps/certs/connswap-certs"
for f in "$bench" "$grpc" "$certs"; do
  [ -x "$f" ] || { echo "compare_grpc: $f missing (configure with -DCONNSWAP_BUILD_GRPC_BENCH=ON, see bench/setup-grpc.sh)" >&2; exit 1; }
done
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
"$certs" --out "$tmp/certs" >/dev/null
"$grpc" serve --cert "$tmp/certs/server.pem" --key "$tmp/certs/server-key.pem" \
  --ready-file "$tmp/grpc.ready" 2>"$tmp/grpc.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/grpc.ready" ] && break; sleep 0.05; done
addr="$(sed -n 's/^user=//p' "$tmp/grpc.ready")"
[ -n "$addr" ] || { echo "compare_grpc: gRPC server did not start: $(cat "$tmp/grpc.err")" >&2; exit 1; }
echo "compare_grpc: load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs x ${secs}s per side" >&2
for run in $(seq "$runs"); do
  for s in $streams_list; do
    "$bench" --direct --workers 1 --streams "$s" --seconds "$secs" --warmup 1 --quiet \
      --json "$tmp/connswap-$s-$run.json" >"$tmp/connswap-$s-$run.txt" ||
      { echo "compare_grpc: connswap-bench failed" >&2; exit 1; }
    "$grpc" load --target "$addr" --ca "$tmp/certs/ca.pem" --streams "$s" --seconds "$secs" \
      --warmup 1 --server-pid "$server_pid" >"$tmp/grpc-$s-$run.json" 2>"$tmp/grpc-load.err" ||
      { echo "compare_grpc: connswap-grpc-bench load failed: $(cat "$tmp/grpc-load.err")" >&2; exit 1; }
    echo "compare_grpc: run $run streams $s: connswap $(python3 -c "import json;print(round(json.load(open('$tmp/connswap-$s-$run.json'))['tokens']['per_s']))") tokens/s, gRPC $(python3 -c "import json;print(round(json.load(open('$tmp/grpc-$s-$run.json'))['tokens']['per_s']))") tokens/s" >&2
  done
done
python3 - "$tmp" "$runs" $streams_list <<'PY'
import json, statistics, sys
tmp, runs, streams = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("| streams | connswap tokens/s (median) | gRPC tokens/s (median) | ratio | connswap p50/p99 latency µs | gRPC p50/p99 latency µs | worker / gRPC server CPU % |")
print("|---|---|---|---|---|---|---|")
for s in streams:
    cs = [json.load(open(f"{tmp}/connswap-{s}-{r}.json")) for r in range(1, runs + 1)]
    gr = [json.load(open(f"{tmp}/grpc-{s}-{r}.json")) for r in range(1, runs + 1)]
    c = statistics.median(x["tokens"]["per_s"] for x in cs)
    g = statistics.median(x["tokens"]["per_s"] for x in gr)
    cl = statistics.median(x["latency_us"]["p50"] for x in cs), statistics.median(x["latency_us"]["p99"] for x in cs)
    gl = statistics.median(x["latency_us"]["p50"] for x in gr), statistics.median(x["latency_us"]["p99"] for x in gr)
    wc = statistics.median(x["workers"][0]["cpu_percent"] for x in cs)
    sc = statistics.median(x["server_cpu_percent"] for x in gr)
    print(f"| {s} | {c:,.0f} | {g:,.0f} | **{c / g:.2f}** | {cl[0]:.0f} / {cl[1]:.0f} | {gl[0]:.0f} / {gl[1]:.0f} | {wc:.0f} / {sc:.0f} |")
    print(json.dumps({"streams": int(s), "connswap_per_s": [x["tokens"]["per_s"] for x in cs],
                      "grpc_per_s": [x["tokens"]["per_s"] for x in gr], "ratio": c / g}), file=sys.stderr)
PY
