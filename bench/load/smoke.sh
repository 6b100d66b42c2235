#!/usr/bin/env bash
# CTest smoke test of connswap-bench (a few seconds): 1 director + 2 workers started by the
# bench, 10 paced streams, worker-a killed mid-window; the JSON must parse, count tokens and
# show no lost or duplicated token.
set -euo pipefail
bench="$1"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bench" --streams 10 --workers 2 --seconds 1.5 --warmup 0.2 --token-interval-ms 20 \
  --fail kill --json "$out/result.json" --quiet >"$out/table.txt"
python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["tokens"]["window"] > 0, r["tokens"]
assert r["streams"] == 10, r["streams"]
assert r["errors"]["out_of_order"] == 0 and r["errors"]["duplicates"] == 0, r["errors"]
assert r["latency_us"]["count"] > 0, r["latency_us"]
print("bench smoke ok: %d tokens/s, migrations %s" % (r["tokens"]["per_s"], r["failover"]["migrations"]))
PY
# --direct: straight to the started worker, whose USER port takes only the director role.
"$bench" --direct --streams 2 --seconds 0.5 --warmup 0.1 --json "$out/direct.json" --quiet \
  >"$out/direct.txt"
python3 - "$out/direct.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["target"] == "worker" and r["tokens"]["window"] > 0, (r["target"], r["tokens"])
assert r["errors"]["out_of_order"] == 0 and r["errors"]["duplicates"] == 0, r["errors"]
print("bench smoke --direct ok: %d tokens/s" % r["tokens"]["per_s"])
PY
