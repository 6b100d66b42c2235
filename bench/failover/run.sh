#!/usr/bin/env bash
# Failover at LLM pace (issue 18; docs/BENCHMARKS.md "Failover at LLM pace: how to run"):
# connswap-bench runs, one per cell, printed as markdown tables (bench/failover/summarize.py).
#
#   bench/failover/run.sh BUILD_DIR [--quick]
#       faults kill, stop, error, term, mgmt-partition x token interval 25 and 10 ms x 0 and
#       5 % loss on the director <-> worker USER paths; CONNECTIONS x STREAMS streams over
#       2 workers (4 x 500 = 2,000: 1,000 on worker-a, the failing one); RUNS per cell.
#       --quick: 1 run per cell, 2 x 250 streams (250 on worker-a), short windows.
#   bench/failover/run.sh BUILD_DIR --false-positives SECONDS [--quick]
#       no fault for SECONDS: workers with --token-jitter-pct 50, then with --prefill-ms 300
#       (FP_MODES; also "steady"), bounded streams (--max-tokens FP_MAX_TOKENS) so calls keep
#       opening; migrations by reason (goal 0) and the director's counters from /metrics.
#
# Environment (defaults in brackets; --quick ones after the slash):
#   RUNS [3/1]  CONNECTIONS [4/2]  STREAMS [500/250]  THREADS [1]  WARMUP [2/1]  FAIL_AT [3/2]
#   AFTER  seconds measured after the fault [5/4]; mgmt-partition adds the director's
#          --heartbeat-timeout-ms (read from its --help unless DIRECTOR_ARGS sets it)
#   FAULTS ["kill stop error term mgmt-partition"]  INTERVALS ["25 10"]  LOSSES ["0 5"]
#   FP_MODES ["jitter prefill"]  FP_INTERVAL [25]  FP_MAX_TOKENS [200]
#   DIRECTOR_ARGS / WORKER_ARGS  extra flags (space-separated) for the started processes
#   OUT  where the JSON and tables go [build/failover-results/<date>]; kept for re-summarizing
#        with bench/failover/summarize.py matrix|fp DIR
set -euo pipefail

usage() { sed -n '2,26p' "$0" >&2; exit 2; }
build=${1:-}
[ -n "$build" ] || usage
shift
quick=0 fp_seconds=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --false-positives) fp_seconds=${2:?--false-positives SECONDS}; shift ;;
    *) usage ;;
  esac
  shift
done

here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench/load/connswap-bench
director=$build/apps/director/connswap-director
for exe in "$bench" "$director" "$build/apps/worker/connswap-worker" "$build/apps/impair/connswap-impair"; do
  [ -x "$exe" ] || { echo "run.sh: $exe missing (cmake --build $build --target connswap-bench)" >&2; exit 2; }
done

if [ $quick = 1 ]; then d_runs=1 d_conn=2 d_streams=250 d_warmup=1 d_fail_at=2 d_after=4
else d_runs=3 d_conn=4 d_streams=500 d_warmup=2 d_fail_at=3 d_after=5; fi
runs=${RUNS:-$d_runs}
connections=${CONNECTIONS:-$d_conn}
streams=${STREAMS:-$d_streams}
threads=${THREADS:-1}
warmup=${WARMUP:-$d_warmup}
fail_at=${FAIL_AT:-$d_fail_at}
after=${AFTER:-$d_after}
read -r -a director_args <<<"${DIRECTOR_ARGS:-}"
read -r -a worker_args <<<"${WORKER_ARGS:-}"
out=${OUT:-$build/failover-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

# The director's heartbeat timeout in seconds (a partitioned worker is lost after it).
heartbeat_timeout_s() {
  local ms
  ms=$(echo " ${DIRECTOR_ARGS:-}" | sed -n 's/.* --heartbeat-timeout-ms[= ]*\([0-9]*\).*/\1/p')
  [ -n "$ms" ] || ms=$("$director" --help | sed -n 's/.*--heartbeat-timeout-ms [^=]*=\([0-9]*\).*/\1/p' | head -1)
  echo $(((${ms:-15000} + 999) / 1000))
}

# One connswap-bench run: NAME LABEL then bench flags. JSON in $out/NAME.json, the table
# in NAME.txt; a failed run leaves NAME.failed (and its logs: the bench names the dir).
run_bench() {
  local name=$1 label=$2; shift 2
  local args=(--connections "$connections" --streams "$streams" --threads "$threads"
              --warmup "$warmup" --quiet --json "$out/$name.json")
  for a in "${director_args[@]}"; do args+=("--director-arg=$a"); done
  for a in "${worker_args[@]}"; do args+=("--worker-arg=$a"); done
  echo "$label" >"$out/$name.label"
  local t0=$SECONDS
  if "$bench" "${args[@]}" "$@" >"$out/$name.txt" 2>&1; then
    printf '%-44s %3ds  %s\n' "$name" $((SECONDS - t0)) "$(grep -m1 -E 'migrations|MIGRATIONS' "$out/$name.txt" | tr -s ' ')" >&2
  else
    rm -f "$out/$name.json"
    touch "$out/$name.failed"
    printf '%-44s FAILED: %s\n' "$name" "$(tail -1 "$out/$name.txt")" >&2
  fi
}

header() {
  echo "<!-- bench/failover/run.sh $* on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores -->"
}

if [ -n "$fp_seconds" ]; then
  fp_interval=${FP_INTERVAL:-25}
  for mode in ${FP_MODES:-jitter prefill}; do
    case $mode in
      jitter) flags=(--worker-arg=--token-jitter-pct=50); label="interval jitters ±50 %" ;;
      prefill) flags=(--worker-arg=--prefill-ms=300); label="300 ms prefill before every call's first token" ;;
      steady) flags=(); label="steady pacing" ;;
      *) echo "run.sh: FP_MODES: jitter|prefill|steady, not $mode" >&2; exit 2 ;;
    esac
    run_bench "fp-$mode" "$label" --token-interval-ms "$fp_interval" --seconds "$fp_seconds" \
      --max-tokens "${FP_MAX_TOKENS:-200}" --fail none "${flags[@]}"
  done
  { header "--false-positives $fp_seconds"; python3 "$here/summarize.py" fp "$out"; } | tee "$out/tables.md"
  echo "results in $out" >&2
  exit 0
fi

hb=$(heartbeat_timeout_s)
for interval in ${INTERVALS:-25 10}; do
  for loss in ${LOSSES:-0 5}; do
    for fault in ${FAULTS:-kill stop error term mgmt-partition}; do
      window=$((fail_at + after))
      [ "$fault" = mgmt-partition ] && window=$((window + hb))
      for run in $(seq "$runs"); do
        run_bench "$fault-${interval}ms-${loss}pct-$run" "$fault" --token-interval-ms "$interval" \
          --loss-pct "$loss" --relay-seed "$run" --fail "$fault" --fail-at "$fail_at" \
          --seconds "$window"
      done
    done
  done
done
{ header "$([ $quick = 1 ] && echo --quick)"; python3 "$here/summarize.py" matrix "$out"; } | tee "$out/tables.md"
echo "results in $out" >&2
