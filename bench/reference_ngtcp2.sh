#!/usr/bin/env bash
# Reference numbers for the transport benchmark: Debian's own ngtcp2 example programs,
# gtlsserver (ngtcp2-server) -> gtlsclient (ngtcp2-client), HTTP/3 bulk download on loopback.
# Stdout is JSON lines only (one per run, then one summary) so bench/transport.sh can collect
# them; progress and errors go to stderr.
#
#   bench/reference_ngtcp2.sh [CERTS_TOOL | BUILD_DIR]
#     CERTS_TOOL  path to connswap-certs; BUILD_DIR a build dir holding apps/certs/connswap-certs.
#                 Default: $CONNSWAP_CERTS, else the newest build/*/apps/certs/connswap-certs.
#   Environment: RUNS=3  BYTES=268435456  CLIENT_TIMEOUT=60 (seconds per client run)
#                VERIFY=1 (one untimed run that saves the body and checks its size; 0 skips)
#                GTLSSERVER=/usr/sbin/gtlsserver  GTLSCLIENT=/usr/bin/gtlsclient
#
# gtlsclient -q prints nothing, so it cannot report transfer time without its handshake.
# Instead the script times RUNS downloads of 1 byte ("setup": process start, handshake,
# request, close) and reports transfer_s = wall_s - median(setup), next to the raw wall time.
#
# Exit status: 0 ok; 1 a run failed or timed out; 2 bad usage; 77 gtlsserver, gtlsclient or
# connswap-certs missing (77 = "skipped" for CTest's SKIP_RETURN_CODE).
set -euo pipefail

me=reference_ngtcp2.sh
die() {  # status, message
  echo "$me: $2" >&2
  exit "$1"
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-3}
bytes=${BYTES:-268435456}
client_timeout=${CLIENT_TIMEOUT:-60}
verify=${VERIFY:-1}
server_bin=${GTLSSERVER:-/usr/sbin/gtlsserver}
client_bin=${GTLSCLIENT:-/usr/bin/gtlsclient}

for v in RUNS:runs BYTES:bytes CLIENT_TIMEOUT:client_timeout; do
  name=${v#*:}
  val=${!name}
  [[ $val =~ ^[1-9][0-9]*$ ]] || die 2 "${v%%:*} must be a positive integer, got '$val'"
done
# gtlsserver is started with --max-dyn-length=300M; larger paths get a 404, not a body.
[ "$bytes" -le 314572800 ] || die 2 "BYTES must be at most 314572800 (300 MiB), got $bytes"
[ $# -le 1 ] || die 2 "usage: $me [CERTS_TOOL | BUILD_DIR]"

# --- locate the programs --------------------------------------------------------------
[ -x "$server_bin" ] || die 77 "$server_bin not found (apt-get install ngtcp2-server)"
[ -x "$client_bin" ] || die 77 "$client_bin not found (apt-get install ngtcp2-client)"
for tool in timeout awk sort; do
  command -v "$tool" >/dev/null || die 77 "$tool not found"
done

certs_tool=${1:-${CONNSWAP_CERTS:-}}
if [ -n "$certs_tool" ] && [ -d "$certs_tool" ]; then
  certs_tool=$certs_tool/apps/certs/connswap-certs
fi
if [ -z "$certs_tool" ]; then
  # Newest build that has the tool (ls -t); any build type works, it only writes PEM files.
  certs_tool=$(ls -t "$root"/build/*/apps/certs/connswap-certs 2>/dev/null | head -n 1 || true)
fi
[ -n "$certs_tool" ] && [ -x "$certs_tool" ] ||
  die 77 "connswap-certs not found ('${certs_tool:-none}'); build it (--target connswap-certs) or pass its path"

# --- temp dir, server lifetime ----------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/connswap-refbench.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$certs_tool" --out "$work/certs" >/dev/null || die 1 "connswap-certs failed"

# True if something listens on UDP port $1 on any address (/proc/net/udp{,6}, hex port).
udp_port_busy() {
  local hex
  hex=$(printf ':%04X ' "$1")
  cat /proc/net/udp /proc/net/udp6 2>/dev/null | awk 'NR > 1 { print $2 " " }' | grep -q -- "$hex"
}

# Starts gtlsserver on 127.0.0.1 and a free port; sets server_pid and port.
start_server() {
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    udp_port_busy "$port" && continue
    "$server_bin" -q -d "$work" --max-dyn-length=300M \
      127.0.0.1 "$port" "$work/certs/server-key.pem" "$work/certs/server.pem" \
      >"$work/server.log" 2>&1 &
    server_pid=$!
    local i
    for i in $(seq 1 100); do  # up to 5 s for the socket to appear
      if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
        break  # lost a race for the port, or a real failure: retry, then report
      fi
      udp_port_busy "$port" && return 0
      sleep 0.05
    done
    if [ -n "$server_pid" ]; then
      die 1 "gtlsserver (pid $server_pid) did not bind 127.0.0.1:$port within 5 s"
    fi
    echo "$me: gtlsserver exited on attempt $attempt: $(tail -n 3 "$work/server.log")" >&2
  done
  die 1 "could not start gtlsserver (see messages above)"
}

# One client download of $1 bytes; extra gtlsclient flags follow. Prints the wall time in
# seconds. The client exits once its stream closes (--exit-on-all-streams-close).
client_run() {
  local size=$1
  shift
  local t0 t1 rc=0
  t0=$EPOCHREALTIME
  timeout "$client_timeout" "$client_bin" -q --no-quic-dump --no-http-dump \
    --exit-on-all-streams-close "$@" 127.0.0.1 "$port" "https://127.0.0.1:$port/$size" \
    >"$work/client.log" 2>&1 || rc=$?
  t1=$EPOCHREALTIME
  if [ "$rc" -eq 124 ]; then
    die 1 "gtlsclient timed out after ${client_timeout}s downloading $size bytes"
  elif [ "$rc" -ne 0 ]; then
    die 1 "gtlsclient exited with $rc: $(tail -n 3 "$work/client.log")"
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start_server
echo "$me: gtlsserver pid $server_pid on 127.0.0.1:$port; $runs x $bytes bytes" >&2

if [ "$verify" = 1 ]; then
  mkdir -p "$work/download"
  client_run "$bytes" --download="$work/download" >/dev/null
  got=$(stat -c %s "$work/download/$bytes" 2>/dev/null || echo 0)
  [ "$got" -eq "$bytes" ] || die 1 "verification download got $got bytes, expected $bytes"
  rm -rf "$work/download"
fi

setup_times=()
for _ in $(seq 1 "$runs"); do
  t=$(client_run 1)  # a plain assignment, so set -e stops on a failed run
  setup_times+=("$t")
done
setup_s=$(printf '%s\n' "${setup_times[@]}" | median)

pair='"impl":"ngtcp2-reference","pair":"gtlsserver->gtlsclient","mode":"download"'
version=$(dpkg-query -W -f='${Version}' ngtcp2-client 2>/dev/null || echo unknown)
rates=()
transfer_rates=()
walls=()
for run in $(seq 1 "$runs"); do
  wall=$(client_run "$bytes")
  line=$(awk -v w="$wall" -v s="$setup_s" -v n="$bytes" -v r="$run" -v v="$version" -v p="$pair" '
    BEGIN {
      mib = n / 1048576; t = w - s
      printf "{%s,\"run\":%d,\"bytes\":%d,\"wall_s\":%.4f,\"mib_s\":%.1f,", p, r, n, w, mib / w
      printf "\"setup_s\":%.4f,\"transfer_s\":%.4f,\"transfer_mib_s\":%.1f,", s, t, (t > 0 ? mib / t : 0)
      printf "\"ngtcp2_version\":\"%s\"}\n", v
    }')
  echo "$line"
  walls+=("$wall")
  rates+=("$(awk -v w="$wall" -v n="$bytes" 'BEGIN { printf "%.3f", n / 1048576 / w }')")
  transfer_rates+=("$(awk -v w="$wall" -v s="$setup_s" -v n="$bytes" \
    'BEGIN { t = w - s; printf "%.3f", (t > 0 ? n / 1048576 / t : 0) }')")
done

awk -v p="$pair" -v n="$bytes" -v runs="$runs" -v s="$setup_s" \
  -v w="$(printf '%s\n' "${walls[@]}" | median)" \
  -v m="$(printf '%s\n' "${rates[@]}" | median)" \
  -v t="$(printf '%s\n' "${transfer_rates[@]}" | median)" \
  -v lo="$(printf '%s\n' "${rates[@]}" | sort -g | head -n 1)" \
  -v hi="$(printf '%s\n' "${rates[@]}" | sort -g | tail -n 1)" '
  BEGIN {
    printf "{%s,\"summary\":true,\"runs\":%d,\"bytes\":%d,\"median_wall_s\":%.4f,", p, runs, n, w
    printf "\"median_mib_s\":%.1f,\"min_mib_s\":%.1f,\"max_mib_s\":%.1f,", m, lo, hi
    printf "\"setup_s\":%.4f,\"median_transfer_mib_s\":%.1f}\n", s, t
  }'
echo "$me: median $(printf '%s\n' "${rates[@]}" | median) MiB/s wall-clock" \
  "($(printf '%s\n' "${transfer_rates[@]}" | median) MiB/s excluding ${setup_s}s setup)" >&2
