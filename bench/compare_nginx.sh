#!/usr/bin/env bash
# A real proxy side by side (issue 15): one streaming workload, proxied two ways, each path
# also run without its proxy. The workload is an unpaced server stream of WorkerItem tokens
# (the demo generator's words; identical messages on both sides), 1 and 100 streams on one
# client connection, TLS on every hop:
#   nginx:    connswap-grpc-bench load -> nginx (grpc_pass grpcs://, HTTP/2 + TLS on both
#             hops, one process: master_process off) -> connswap-grpc-bench serve
#             direct: load -> serve
#   connswap: connswap-bench -> connswap-director -> one connswap-worker (QUIC + TLS)
#             direct: connswap-bench --direct -> the worker
# Per path: tokens/s; the latency the proxy adds per token (proxied minus direct, p50/p99 of
# client receive - server emit); the proxy's CPU per token (utime + stime of nginx's process
# or of the director from /proc over the measured window, divided by the tokens in it).
# Runs alternate (gRPC direct, nginx, connswap direct, director) so all four see the same
# machine; the tables give medians of RUNS. Goal: the director forwards more tokens per CPU
# second than nginx.
#
#   bench/setup-grpc.sh                       # gRPC C++ and Debian's nginx
#   cmake -S . -B build/grpc -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONNSWAP_BUILD_GRPC_BENCH=ON
#   cmake --build build/grpc -j2 --target connswap-bench connswap-grpc-bench
#   RUNS=3 SECONDS_PER_RUN=5 bench/compare_nginx.sh build/grpc
#   PIN=1 RUNS=3 bench/compare_nginx.sh build/grpc   # proxy on core 0, everything else on 1
#
# Environment: RUNS (3), SECONDS_PER_RUN (5), WARMUP (1), STREAMS ("1 100"), PIN (0),
# PATHS ("nginx director"; the CTest smoke runs "nginx" only: bench_load_smoke covers the other),
# INTERVAL_MS (0 = unpaced; N paces every stream at one token per N ms on both servers, so
# the added latency is the proxy's and not a queue's),
# OUT (a directory that keeps every run's JSON), NGINX (the binary; default from PATH or
# /usr/sbin). Exits 77 (skipped) when nginx or connswap-grpc-bench is absent.
set -euo pipefail
build="${1:-build/grpc}"
runs="${RUNS:-3}"
secs="${SECONDS_PER_RUN:-5}"
warmup="${WARMUP:-1}"
streams_list="${STREAMS:-1 100}"
pin="${PIN:-0}"
interval_ms="${INTERVAL_MS:-0}"
paths="${PATHS:-nginx director}"
bench="$build/bench/load/connswap-bench"
grpc="$build/bench/grpc/connswap-grpc-bench"
certs="$build/apps/certs/connswap-certs"
nginx="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
say() { echo "compare_nginx: $*" >&2; }
[ -x "$grpc" ] || { say "skipped: $grpc missing (bench/setup-grpc.sh, -DCONNSWAP_BUILD_GRPC_BENCH=ON)"; exit 77; }
[ -x "$nginx" ] || { say "skipped: nginx missing (bench/setup-grpc.sh installs it)"; exit 77; }
for f in "$certs" $([[ " $paths " == *" director "* ]] && echo "$bench"); do
  [ -x "$f" ] || { say "$f missing (cmake --build $build --target connswap-bench)"; exit 1; }
done
proxy_cpus=()
load_cpus=()
wrapper=()
if [ "$pin" = 1 ]; then
  proxy_cpus=(taskset -c 0)
  load_cpus=(taskset -c 1)
  wrapper=(--director-wrapper "taskset -c 0")
fi

tmp="$(mktemp -d)"
server_pid=""
nginx_pid=""
cleanup() {
  for p in $nginx_pid $server_pid; do
    { kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; } || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$certs" --out "$tmp/certs" >/dev/null
"${load_cpus[@]}" "$grpc" serve --cert "$tmp/certs/server.pem" --key "$tmp/certs/server-key.pem" \
  --ready-file "$tmp/grpc.ready" --token-interval-ms "$interval_ms" 2>"$tmp/grpc.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/grpc.ready" ] && break; sleep 0.05; done
server_addr="$(sed -n 's/^user=//p' "$tmp/grpc.ready")"
[ -n "$server_addr" ] || { say "gRPC server did not start: $(cat "$tmp/grpc.err")"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# nginx cannot listen on port 0: take a free port, release it, and start nginx on it; if
# another process took it in between (bind fails), try another.
write_nginx_conf() {
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$1 ssl http2;
    ssl_certificate $tmp/certs/server.pem;
    ssl_certificate_key $tmp/certs/server-key.pem;
    location / { grpc_pass grpcs://$server_addr; }
  }
}
EOF
}
start_nginx() {
  for _ in $(seq 5); do
    nginx_port="$(free_port)"
    write_nginx_conf "$nginx_port"
    : >"$tmp/nginx/error.log"
    "${proxy_cpus[@]}" "$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
      -e "$tmp/nginx/error.log" 2>>"$tmp/nginx/error.log" &
    nginx_pid=$!
    for _ in $(seq 100); do
      listening "$nginx_port" && return 0
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
    grep -q "Address already in use" "$tmp/nginx/error.log" ||
      { say "nginx did not start: $(cat "$tmp/nginx/error.log")"; return 1; }
    say "port $nginx_port was taken; trying another"
  done
  return 1
}
start_nginx
say "$("$nginx" -v 2>&1); nginx on 127.0.0.1:$nginx_port (pid $nginx_pid) -> gRPC server $server_addr"
say "PIN=$pin INTERVAL_MS=$interval_ms; load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs x ${secs}s per path"

grpc_load() {  # name target streams run [--proxy-pid PID]
  local name="$1" target="$2" s="$3" run="$4"
  shift 4
  "${load_cpus[@]}" "$grpc" load --target "$target" --ca "$tmp/certs/ca.pem" --streams "$s" \
    --seconds "$secs" --warmup "$warmup" --server-pid "$server_pid" "$@" \
    >"$tmp/$name-$s-$run.json" 2>"$tmp/grpc-load.err" ||
    { say "connswap-grpc-bench load ($name) failed: $(cat "$tmp/grpc-load.err")"; exit 1; }
}
connswap_load() {  # name streams run [--direct]
  local name="$1" s="$2" run="$3"
  shift 3
  "${load_cpus[@]}" "$bench" "$@" --workers 1 --streams "$s" --seconds "$secs" \
    --warmup "$warmup" --token-interval-ms "$interval_ms" --quiet "${wrapper[@]}" --json "$tmp/$name-$s-$run.json" \
    >"$tmp/$name.txt" 2>"$tmp/$name.err" ||
    { say "connswap-bench ($name) failed: $(tail -3 "$tmp/$name.err")"; exit 1; }
}
per_s() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['tokens']['per_s']))" "$1"; }

for run in $(seq "$runs"); do
  for s in $streams_list; do
    line="run $run streams $s (load $(cut -d' ' -f1 /proc/loadavg)): tokens/s"
    if [[ " $paths " == *" nginx "* ]]; then
      grpc_load grpc-direct "$server_addr" "$s" "$run"
      grpc_load nginx "127.0.0.1:$nginx_port" "$s" "$run" --proxy-pid "$nginx_pid"
      kill -0 "$nginx_pid" 2>/dev/null || { say "nginx exited: $(cat "$tmp/nginx/error.log")"; exit 1; }
      line+=" gRPC direct $(per_s "$tmp/grpc-direct-$s-$run.json"), nginx $(per_s "$tmp/nginx-$s-$run.json")"
    fi
    if [[ " $paths " == *" director "* ]]; then
      connswap_load connswap-direct "$s" "$run" --direct
      connswap_load director "$s" "$run"
      line+=", connswap direct $(per_s "$tmp/connswap-direct-$s-$run.json"), director $(per_s "$tmp/director-$s-$run.json")"
    fi
    say "$line"
  done
done
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  cp "$tmp"/*.json "$OUT"/
  cp "$tmp/nginx/nginx.conf" "$OUT"/
fi
if grep -qv "^\s*$" "$tmp/nginx/error.log"; then
  say "nginx error log (warn and above):"
  head -5 "$tmp/nginx/error.log" >&2
fi

python3 - "$tmp" "$runs" "$pin" "$interval_ms" "$paths" $streams_list <<'PY'
import json, statistics, sys
tmp, runs, pin, interval = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
paths, streams = sys.argv[5].split(), sys.argv[6:]
med = statistics.median
def load(name, s):
    return [json.load(open(f"{tmp}/{name}-{s}-{r}.json")) for r in range(1, runs + 1)]
def per_cpu_second(us):  # a short window may see 0 clock ticks of CPU
    return 1e6 / us if us > 0 else float("inf")
def proxy_cpu(name, x):  # percent of one core over the window
    return x["proxy_cpu_percent"] if name == "nginx" else x["director"]["cpu_percent"]
print(f"PIN={pin} INTERVAL_MS={interval}: medians of {runs} runs; latency = client receive - server emit, µs; "
      "added = proxied - direct; CPU/token = proxy CPU seconds in the window / tokens")
print("| streams | path | tokens/s proxied | tokens/s direct | ratio | latency p50 / p99 proxied "
      "| latency p50 / p99 direct | added p50 / p99 | proxy CPU % | proxy CPU µs/token "
      "| tokens per proxy CPU-second |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
summary = {}
for s in streams:
    for proxied, direct, label in (("nginx", "grpc-direct", "gRPC → nginx → gRPC server"),
                                   ("director", "connswap-direct", "connswap → director → worker")):
        if proxied not in paths:
            continue
        p, d = load(proxied, s), load(direct, s)
        for x in p + d:
            assert x["tokens"]["per_s"] > 0, (proxied, s, x["tokens"])
        for x in (p + d) if proxied == "director" else []:
            e = x["errors"]
            assert e["out_of_order"] == 0 and e["duplicates"] == 0, e
        cpu = [proxy_cpu(proxied, x) for x in p]
        assert all(c >= 0 for c in cpu), (proxied, cpu)
        us_per_token = [c / 100 / x["tokens"]["per_s"] * 1e6 for c, x in zip(cpu, p)]
        pt, dt = med(x["tokens"]["per_s"] for x in p), med(x["tokens"]["per_s"] for x in d)
        pl = [med(x["latency_us"][q] for x in p) for q in ("p50", "p99")]
        dl = [med(x["latency_us"][q] for x in d) for q in ("p50", "p99")]
        u = med(us_per_token)
        print(f"| {s} | {label} | {pt:,.0f} | {dt:,.0f} | {pt / dt:.2f} | {pl[0]:,.0f} / {pl[1]:,.0f} "
              f"| {dl[0]:,.0f} / {dl[1]:,.0f} | {pl[0] - dl[0]:,.0f} / {pl[1] - dl[1]:,.0f} "
              f"| {med(cpu):.1f} | {u:.2f} | {per_cpu_second(u):,.0f} |")
        summary[(s, proxied)] = u
        print(json.dumps({"streams": int(s), "path": proxied,
                          "proxied_per_s": [x["tokens"]["per_s"] for x in p],
                          "direct_per_s": [x["tokens"]["per_s"] for x in d],
                          "proxy_cpu_percent": cpu,
                          "proxy_cpu_us_per_token": [round(v, 3) for v in us_per_token]}),
              file=sys.stderr)
for s in streams if len(paths) == 2 else []:
    n, c = summary[(s, "nginx")], summary[(s, "director")]
    verdict = "met" if c < n else "NOT met"
    ratio = per_cpu_second(c) / per_cpu_second(n) if n > 0 else float("nan")
    print(f"streams {s}: tokens per proxy CPU-second, director / nginx = {ratio:.2f} "
          f"(goal > 1: {verdict})")
PY
