#!/usr/bin/env bash
# Issue 18, drain: the failover gap of a SIGTERM drain at LLM pace, 1,000 streams on the
# drained worker (4 connections x 500 streams, 2 workers, round robin: half on worker-a),
# RUNS runs per token interval (and per fault in FAULTS), JSON kept in OUT. Prints one
# markdown row per run and the median of each column.
#
#   bench/load/drain_gap.sh build/release [APPS_DIR]
# APPS_DIR: the build's apps/ dir whose director and workers to start (default: the one
# next to the bench), e.g. a baseline build's, to compare before/after with one bench.
# Environment: RUNS (default 3), INTERVALS (ms, default "25 10"), FAULTS (default "term";
# "term error" also checks the in-band error case), STREAMS (per connection, default 500),
# SECONDS_ (window, default 8), OUT (default build/bench-results/drain), EXTRA (more
# connswap-bench flags, e.g. "--director-arg=--handover-window=32", or, with the synthetic
# worker's --prefill-ms, "--worker-arg=--prefill-ms=20": a continuation's first token that
# late; a standby comes up behind once start + prefill exceeds the interval).
#
# The drain's zero-gap result rests on the standby's first token (due at once in the
# synthetic worker's TokenSchedule) reaching the director within an interval of its start.
set -euo pipefail
build="${1:-build/release}"
apps="${2:-}"
runs="${RUNS:-3}"
intervals="${INTERVALS:-25 10}"
faults="${FAULTS:-term}"
streams="${STREAMS:-500}"
seconds="${SECONDS_:-8}"
out="${OUT:-build/bench-results/drain}"
bench="$build/bench/load/connswap-bench"
mkdir -p "$out"
bin_dir=()
[ -n "$apps" ] && bin_dir=(--bin-dir "$apps")

echo "| fault | interval | run | gap beyond interval p50 / p99 / max (ms) | fault -> resumed p99 (ms) | migrations | dup / ooo | load |"
echo "|---|---|---|---|---|---|---|---|"
for fault in $faults; do
  for ms in $intervals; do
    for run in $(seq "$runs"); do
      json="$out/$fault-${ms}ms-$run.json"
      load=$(cut -d' ' -f1 /proc/loadavg)
      # shellcheck disable=SC2086
      "$bench" "${bin_dir[@]}" --connections 4 --streams "$streams" --token-interval-ms "$ms" \
        --warmup 2 --seconds "$seconds" --fail "$fault" --fail-at 3 --quiet --json "$json" \
        ${EXTRA:-} >"$out/$fault-${ms}ms-$run.txt" 2>&1
      python3 - "$json" "$fault" "$ms" "$run" "$load" <<'PY'
import json, sys
path, fault, ms, run, load = sys.argv[1:]
d = json.load(open(path))
g = d["failover"]["gap_beyond_interval_ms"]["all"]
r = d["failover"]["fault_to_resume_ms"]
e = d["errors"]
print(f"| {fault} | {ms} ms | {run} | {g['p50']:.1f} / {g['p99']:.1f} / {g['max']:.1f} | "
      f"{r['p99']:.1f} | {g['count']} | {e['duplicates']} / {e['out_of_order']} | {load} |")
PY
    done
  done
done
python3 - "$out" "$runs" "$intervals" "$faults" <<'PY'
import json, statistics, sys
out, runs, intervals, faults = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
for fault in faults:
    for ms in intervals:
        ds = [json.load(open(f"{out}/{fault}-{ms}ms-{r}.json")) for r in range(1, runs + 1)]
        g = [d["failover"]["gap_beyond_interval_ms"]["all"] for d in ds]
        med = lambda k: statistics.median(x[k] for x in g)
        res = statistics.median(d["failover"]["fault_to_resume_ms"]["p99"] for d in ds)
        print(f"| {fault} | {ms} ms | median of {runs} | {med('p50'):.1f} / {med('p99'):.1f} / "
              f"{med('max'):.1f} | {res:.1f} | | | |")
PY
