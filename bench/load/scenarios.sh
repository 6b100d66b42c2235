#!/usr/bin/env bash
# The four load scenarios of docs/BENCHMARKS.md ("Load"), each as connswap-bench runs with
# JSON kept in OUT (default build/bench-results): proxy overhead, scale, failover gaps,
# (when built) gRPC side by side, and the HTTP front vs the QUIC front. Prints the figures
# as markdown table rows.
#
#   bench/load/scenarios.sh build/release [proxy|scale|failover|grpc|http|all]
# Environment: RUNS (proxy/gRPC/http repetitions, default 3), OUT, MAX_TOKENS (http: tokens
# per request, default 1000; both fronts re-issue a request when it ends).
set -euo pipefail
build="${1:-build/release}"
which="${2:-all}"
runs="${RUNS:-3}"
out="${OUT:-build/bench-results}"
bench="$build/bench/load/connswap-bench"
mkdir -p "$out"
load() { cut -d' ' -f1 /proc/loadavg; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

if [ "$which" = all ] || [ "$which" = proxy ]; then
  # 1 worker either way, so the only difference is the director hop. 1 connection x 100
  # unpaced streams.
  for run in $(seq "$runs"); do
    for mode in director direct; do
      flag=""; [ $mode = direct ] && flag="--direct"
      "$bench" $flag --workers 1 --streams 100 --seconds 10 --warmup 2 --quiet \
        --json "$out/proxy-$mode-$run.json" >"$out/proxy-$mode-$run.txt"
      echo "proxy run $run $mode: $(field "$out/proxy-$mode-$run.json" 'round(d["tokens"]["per_s"])') tokens/s (load $(load))"
    done
  done
  python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
d = [json.load(open(f"{out}/proxy-director-{r}.json")) for r in range(1, runs + 1)]
w = [json.load(open(f"{out}/proxy-direct-{r}.json")) for r in range(1, runs + 1)]
md, mw = statistics.median(x["tokens"]["per_s"] for x in d), statistics.median(x["tokens"]["per_s"] for x in w)
print(f"| proxy overhead | through director {md:,.0f} tokens/s, direct {mw:,.0f} tokens/s | ratio **{md / mw:.2f}** | director cpu {statistics.median(x['director']['cpu_percent'] for x in d):.0f} %, worker cpu {statistics.median(x['workers'][0]['cpu_percent'] for x in d):.0f} % / {statistics.median(x['workers'][0]['cpu_percent'] for x in w):.0f} %, bench cpu {statistics.median(x['bench_cpu_percent'] for x in d):.0f} % / {statistics.median(x['bench_cpu_percent'] for x in w):.0f} % |")
PY
fi

if [ "$which" = all ] || [ "$which" = scale ]; then
  # 10,000 streams at 2 tokens/s over 10 connections. The warm-up (130 s) fills every
  # stream's delivered window (256 tokens), so RSS is the steady state.
  "$bench" --connections 10 --streams 1000 --token-interval-ms 500 --warmup 130 --seconds 10 \
    --quiet --json "$out/scale.json" >"$out/scale.txt"
  field "$out/scale.json" '"| scale 10,000 x 2 tok/s | %.0f tokens/s | director rss %.1f MiB (idle %.1f MiB) = **%.0f B/stream** | director cpu %.1f %% | latency p50/p99 %.1f/%.1f ms | load %.2f |" % (d["tokens"]["per_s"], d["director"]["rss_bytes"]/2**20, d["director"]["rss_idle_bytes"]/2**20, d["director_rss_per_stream_bytes"], d["director"]["cpu_percent"], d["latency_us"]["p50"]/1e3, d["latency_us"]["p99"]/1e3, d["load_average"]["start"])'
fi

if [ "$which" = all ] || [ "$which" = failover ]; then
  # 2 workers, 2 connections x 1,000 streams (round robin: 1,000 on worker-a), 500 ms
  # tokens; worker-a fails 4 s into a 10 s window.
  for f in error kill stop term; do
    "$bench" --connections 2 --streams 1000 --token-interval-ms 500 --warmup 2 --seconds 10 \
      --fail $f --fail-at 4 --quiet --json "$out/failover-$f.json" --plot "$out/failover-$f.png" \
      >"$out/failover-$f.txt"
    field "$out/failover-$f.json" '"| failover %s | streams %d | migrations %s | gap beyond interval p50/p99/max **%.1f / %.1f / %.1f ms** | lost %d dup %d ended %d | load %.2f |" % (d["fail"], d["failover"]["gap_beyond_interval_ms"].get("all",{}).get("count",0), d["failover"]["migrations"], d["failover"]["gap_beyond_interval_ms"].get("all",{}).get("p50",0), d["failover"]["gap_beyond_interval_ms"].get("all",{}).get("p99",0), d["failover"]["gap_beyond_interval_ms"].get("all",{}).get("max",0), d["errors"]["out_of_order"], d["errors"]["duplicates"], d["errors"]["ended_early"], d["load_average"]["start"])'
  done
fi

if [ "$which" = all ] || [ "$which" = grpc ]; then
  if [ -x "$build/bench/grpc/connswap-grpc-bench" ]; then
    RUNS="$runs" SECONDS_PER_RUN=5 "$(dirname "$0")/../compare_grpc.sh" "$build"
  else
    echo "grpc: not built (bench/setup-grpc.sh, then -DCONNSWAP_BUILD_GRPC_BENCH=ON)"
  fi
fi

if [ "$which" = all ] || [ "$which" = http ]; then
  # 1 worker, 100 unpaced streams of MAX_TOKENS tokens, re-issued as they end: through the
  # director's QUIC front (1 connection) and its HTTP front (100 curl connections).
  for run in $(seq "$runs"); do
    for front in quic http; do
      flag=""; [ $front = http ] && flag="--http"
      "$bench" $flag --workers 1 --streams 100 --token-interval-ms 0 \
        --max-tokens "${MAX_TOKENS:-1000}" --seconds 10 --warmup 2 --quiet \
        --json "$out/http-$front-$run.json" >"$out/http-$front-$run.txt"
      echo "http run $run $front: $(field "$out/http-$front-$run.json" 'round(d["tokens"]["per_s"])') tokens/s (load $(load))"
    done
  done
  python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
q = [json.load(open(f"{out}/http-quic-{r}.json")) for r in range(1, runs + 1)]
h = [json.load(open(f"{out}/http-http-{r}.json")) for r in range(1, runs + 1)]
med = lambda xs, f: statistics.median(f(x) for x in xs)
mq, mh = med(q, lambda x: x["tokens"]["per_s"]), med(h, lambda x: x["tokens"]["per_s"])
ttft = lambda xs: "%.1f / %.1f ms" % (med(xs, lambda x: x["ttft_us"]["window"]["p50"]) / 1e3, med(xs, lambda x: x["ttft_us"]["window"]["p99"]) / 1e3)
# CPU in % of a core, and in microseconds per token (steadier than tokens/s on a busy host).
per = lambda x, c: c * 1e4 / max(x["tokens"]["per_s"], 1)
cpu = lambda xs: "director %.0f %% (%.2f us/token), worker %.0f %%, bench %.0f %% (%.2f us/token)" % (med(xs, lambda x: x["director"]["cpu_percent"]), med(xs, lambda x: per(x, x["director"]["cpu_percent"])), med(xs, lambda x: x["workers"][0]["cpu_percent"]), med(xs, lambda x: x["bench_cpu_percent"]), med(xs, lambda x: per(x, x["bench_cpu_percent"])))
errors = sum(sum(x["errors"]["protocol"].values()) for x in h)
load = statistics.median(x["load_average"]["start"] for x in q + h)
print(f"| HTTP vs QUIC front | QUIC {mq:,.0f} tokens/s, HTTP {mh:,.0f} SSE tokens/s | ratio **{mh / mq:.2f}** | TTFT p50/p99 QUIC {ttft(q)}, HTTP {ttft(h)} | cpu QUIC: {cpu(q)}; HTTP: {cpu(h)} | HTTP protocol errors {errors} | load {load:.2f} |")
PY
fi
