#!/usr/bin/env python3
"""Markdown tables from connswap-bench JSON results (bench/failover/run.sh).

  summarize.py matrix DIR        one table per (token interval, loss), a row per fault
  summarize.py fp DIR            false-positive runs: migrations by reason + director counters

Every *.json in DIR is read; runs of one cell (same fail, interval, loss, label) are pooled:
gap p50 = median of the runs' p50, p99 = the worst run's p99, max = the largest; fault ->
resumed p99 likewise the worst run's; migrations, lost and duplicated are summed. A run
whose bench failed left a <name>.failed file instead and is counted as failed.
"""
import glob
import json
import os
import statistics
import sys


def load(directory):
    runs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            print(f"<!-- {path}: unreadable ({e}) -->")
            continue
        meta = path[:-5] + ".label"
        d["_label"] = open(meta).read().strip() if os.path.exists(meta) else ""
        runs.append(d)
    failed = sorted(os.path.basename(p)[:-7] for p in glob.glob(os.path.join(directory, "*.failed")))
    return runs, failed


def reasons(runs):
    total = {}
    for d in runs:
        for k, v in d["failover"]["migrations"].items():
            total[k] = total.get(k, 0) + v
    return ", ".join(f"{k} {v}" for k, v in sorted(total.items())) or "0"


def fmt(x):
    return f"{x:,.1f}"


def cell(runs):
    gaps = [d["failover"]["gap_beyond_interval_ms"].get("all") for d in runs]
    gaps = [g for g in gaps if g and g["count"] > 0]
    resume = [d["failover"]["fault_to_resume_ms"] for d in runs if d["failover"]["fault_to_resume_ms"]["count"] > 0]
    moved = statistics.median(g["count"] for g in gaps) if gaps else 0
    gap = (f"{fmt(statistics.median(g['p50'] for g in gaps))} / {fmt(max(g['p99'] for g in gaps))} / "
           f"{fmt(max(g['max'] for g in gaps))}") if gaps else "no migration"
    res = fmt(max(r["p99"] for r in resume)) if resume else "-"
    lost = sum(d["errors"]["out_of_order"] for d in runs)
    dup = sum(d["errors"]["duplicates"] for d in runs)
    early = sum(d["errors"]["ended_early"] for d in runs)
    return moved, gap, res, lost, dup, early


def matrix(directory):
    runs, failed = load(directory)
    groups = {}
    for d in runs:
        groups.setdefault((d["token_interval_ms"], d.get("loss_pct", 0)), {}).setdefault(d["fail"], []).append(d)
    order = ["kill", "stop", "error", "term", "mgmt-partition", "none"]
    for (interval, loss), by_fault in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        sample = next(iter(by_fault.values()))[0]
        n = len(next(iter(by_fault.values())))
        print(f"\n**{interval:g} ms per token, {loss:g} % loss director <-> workers (USER), "
              f"{sample['streams']:,} streams ({sample['connections']} x {sample['streams_per_connection']}), "
              f"{n} run(s) per row**\n")
        print("| fault | streams moved | gap beyond interval p50 / p99 / max (ms) | fault → resumed p99 (ms) "
              "| migrations (by reason) | lost / duplicated | ended early |")
        print("|---|---|---|---|---|---|---|")
        for fault in sorted(by_fault, key=lambda f: order.index(f) if f in order else 99):
            moved, gap, res, lost, dup, early = cell(by_fault[fault])
            print(f"| {fault} | {moved:,.0f} | {gap} | {res} | {reasons(by_fault[fault])} | {lost} / {dup} | {early} |")
    if failed:
        print(f"\nFailed runs (bench exit != 0, see the .txt next to them): {', '.join(failed)}")


def false_positives(directory):
    runs, failed = load(directory)
    print("| worker behaviour | interval (ms) | token gap p50 / p99 / max (ms) | first token p50 / p99 (ms) "
          "| streams | requests | window (s) | migrations (goal 0) | lost / duplicated "
          "| director counters after the window (non-zero) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in runs:
        total = sum(d["failover"]["migrations"].values())
        counters = "<br>".join(l for l in d.get("director_metrics", []) if not l.rstrip().endswith(" 0")) \
            or (d.get("director_metrics_error") or "all 0")
        gap, ttft = d["token_gap_us"], d["ttft_us"]["window"]
        print(f"| {d['_label']} | {d['token_interval_ms']:g} | "
              f"{gap['p50'] / 1e3:.1f} / {gap['p99'] / 1e3:.1f} / {gap['max'] / 1e3:.1f} | "
              f"{ttft['p50'] / 1e3:.1f} / {ttft['p99'] / 1e3:.1f} | {d['streams']:,} | {d['requests']:,} | "
              f"{d['seconds']:.0f} | **{total}** ({reasons([d])}) | {d['errors']['out_of_order']} / "
              f"{d['errors']['duplicates']} | {counters} |")
    if failed:
        print(f"\nFailed runs: {', '.join(failed)}")
    for d in runs:
        print(f"\n<details><summary>{d['_label']}: every scraped director line</summary>\n\n```")
        print("\n".join(d.get("director_metrics", [])) or d.get("director_metrics_error", ""))
        print("```\n</details>")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("matrix", "fp"):
        sys.exit(__doc__)
    (matrix if sys.argv[1] == "matrix" else false_positives)(sys.argv[2])
