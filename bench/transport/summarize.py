#!/usr/bin/env python3
"""Summarises bench/transport.sh's JSON lines into a table (median of repeated runs)."""
import json
import statistics
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    print("\n| measurement | runs | median | min | max |")
    print("| --- | --- | --- | --- | --- |")
    for variant in ("gso+gro", "no-gso/gro"):
        rates = [r["mib_per_s"] for r in rows
                 if r.get("variant") == variant and r.get("mode") == "download"]
        if rates:
            print(f"| connswap-quicperf download ({variant}), MiB/s | {len(rates)} | "
                  f"{statistics.median(rates):.1f} | {min(rates):.1f} | {max(rates):.1f} |")
    ref = [r for r in rows if "wall_s" in r and not r.get("summary")]
    if ref:
        t = [r["transfer_mib_s"] for r in ref]
        w = [r["mib_s"] for r in ref]
        print(f"| gtlsserver -> gtlsclient (HTTP/3), MiB/s excl. ~setup | {len(t)} | "
              f"{statistics.median(t):.1f} | {min(t):.1f} | {max(t):.1f} |")
        print(f"| gtlsserver -> gtlsclient (HTTP/3), MiB/s wall | {len(w)} | "
              f"{statistics.median(w):.1f} | {min(w):.1f} | {max(w):.1f} |")
    for r in rows:
        if r.get("mode") == "rtt":
            print(f"| 64 B RTT ({r['variant']}) p50 / p99 us | {r['count']} msgs | "
                  f"{r['p50_us']:.1f} / {r['p99_us']:.1f} | | |")
    ours = [r["mib_per_s"] for r in rows
            if r.get("variant") == "gso+gro" and r.get("mode") == "download"]
    if ours and ref:
        ratio = statistics.median(ours) / statistics.median([r["transfer_mib_s"] for r in ref])
        print(f"\nbulk ratio connswap / reference: {ratio:.2f}x (goal >= 1.2x)")


if __name__ == "__main__":
    main(sys.argv[1])
