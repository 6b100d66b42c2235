#!/usr/bin/env bash
# CTest smoke test of connswap-bench --http (a few seconds): 1 director with its HTTP front +
# 2 workers started by the bench, 10 paced SSE completion streams of 40 tokens each through
# libcurl, re-issued as they end, worker-a killed mid-window; the JSON must parse, count
# tokens, time to first token and the streams the front migrated, and show no protocol error.
set -euo pipefail
bench="$1"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bench" --http --streams 10 --workers 2 --seconds 1.5 --warmup 0.2 --token-interval-ms 5 \
  --max-tokens 40 --fail kill --json "$out/result.json" --quiet >"$out/table.txt"
python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["front"] == "http", r["front"]
assert r["tokens"]["window"] > 0, r["tokens"]
assert r["streams"] == 10, r["streams"]
assert r["requests"] > 10, r["requests"]  # 40 tokens at 5 ms: each stream re-issued
assert sum(r["failover"]["migrations"].values()) > 0, r["failover"]  # ": migrated" comments
assert r["ttft_us"]["window"]["count"] > 0, r["ttft_us"]
assert r["token_gap_us"]["count"] > 0, r["token_gap_us"]
assert r["errors"]["protocol"] == {}, r["errors"]
print("bench http smoke ok: %d tokens/s, %d requests, ttft p50 %.1f ms, migrations %s"
      % (r["tokens"]["per_s"], r["requests"], r["ttft_us"]["window"]["p50"] / 1e3,
         r["failover"]["migrations"]))
PY
