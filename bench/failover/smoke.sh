#!/usr/bin/env bash
# CTest smoke of bench/failover/run.sh (about 20 s, asserts no timing): a tiny matrix (kill
# and mgmt-partition at 25 ms per token and 5 % loss, 20 streams, a 1.5 s heartbeat timeout
# so the partition is seen within the window) and a 2 s false-positive run; the tables must
# come out, every stream must migrate for the right reason, nothing lost or duplicated.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export RUNS=1 CONNECTIONS=1 STREAMS=20 WARMUP=0.5 FAIL_AT=1 AFTER=2 INTERVALS=25 LOSSES=5
export FAULTS="kill mgmt-partition" DIRECTOR_ARGS="--heartbeat-timeout-ms=1500"
OUT=$out/matrix "$here/run.sh" "$build" --quick >"$out/matrix.md"
FP_MODES=jitter OUT=$out/fp "$here/run.sh" "$build" --false-positives 2 >"$out/fp.md"
python3 - "$out" <<'PY'
import glob, json, sys
out = sys.argv[1]
text = open(f"{out}/matrix.md").read()
assert "| kill | 10 |" in text and "| mgmt-partition | 10 |" in text, text
runs = {json.load(open(p))["fail"]: json.load(open(p)) for p in glob.glob(f"{out}/matrix/*.json")}
assert set(runs) == {"kill", "mgmt-partition"}, runs.keys()
for fault, r in runs.items():
    assert r["loss_pct"] == 5, r["loss_pct"]
    assert r["errors"]["out_of_order"] == 0 and r["errors"]["duplicates"] == 0, (fault, r["errors"])
    assert r["failover"]["migrations_total"] == 10, (fault, r["failover"]["migrations"])
    assert any(l.startswith("connswap_migrations_total") for l in r["director_metrics"]), r
assert runs["mgmt-partition"]["failover"]["migrations"] == {"heartbeat_lost": 10}, runs
fp = open(f"{out}/fp.md").read()
assert "| interval jitters ±50 % | 25 |" in fp and "| 20 |" in fp, fp
print("failover smoke ok")
PY
