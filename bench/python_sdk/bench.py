"""Tokens/s of one Python SDK client (python -m connswap) against connswap-client, on the
same local cluster (connswap-certs, a director, two workers on 127.0.0.1 port 0, started by
tests/python/connswap_cluster.py). Both clients verify every token. For each case it
reports wall time, tokens/s received and the client's CPU time (user + sys, from
getrusage of the child): a client using ~1 CPU is the bottleneck.

    bench/python_sdk.sh build/release            # the full table (~2 min)
    bench/python_sdk.sh build/release --quick    # short runs, to check the script works
"""

import argparse
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "python"))

from connswap_cluster import Cluster, program  # noqa: E402


def run_client(argv):
    """(wall s, cpu s, summary dict) of one client run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [l for l in done.stdout.splitlines() if l.startswith("summary ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    summary = dict(p.split("=", 1) for p in lines[-1].split()[1:])
    return wall, cpu, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="short runs (script check)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    # (streams, tokens per stream, worker token interval ms): paced at 50 tokens/s per
    # stream, and unpaced (as fast as the worker and director go).
    cases = [(1, 250, 20), (100, 250, 20), (1, 5000, 0), (100, 500, 0)]
    if args.quick:
        cases = [(1, 50, 20), (100, 50, 20), (1, 500, 0), (100, 50, 0)]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for streams, tokens, interval in cases:
            where = pathlib.Path(tmp) / f"c{streams}-{tokens}-{interval}"
            where.mkdir()
            cluster = Cluster(where)
            try:
                cluster.start_director()  # info: the cluster helper waits for its lines
                for label in ("worker-a", "worker-b"):
                    cluster.start_worker(label, {"--token-interval-ms": str(interval),
                                                 "--log-level": "warn"})
                common = ["--director", cluster.director.field("user"), "--tls-ca",
                          str(cluster.certs / "ca.pem"), "--streams", str(streams),
                          "--max-tokens", str(tokens)]
                clients = {"python": [sys.executable, "-m", "connswap", *common],
                           "c++": [program("client"), *common, "--log-level", "warn"]}
                # Warm-up (not measured): the director's first stream also connects it to
                # the workers.
                run_client([program("client"), *common[:4], "--streams", "2",
                            "--max-tokens", "2", "--log-level", "warn"])
                for name, argv in clients.items():
                    for _ in range(repeats):
                        wall, cpu, s = run_client(argv)
                        assert s["verified"] == "true" and int(s["tokens"]) == streams * tokens
                        results.append((name, streams, tokens, interval, wall, cpu,
                                        int(s["tokens"])))
            finally:
                problems = cluster.shutdown()
                if problems:
                    print("\n".join(problems), file=sys.stderr)
    print(f"{'client':7} {'streams':>7} {'tokens':>6} {'pace':>8} {'wall s':>7} "
          f"{'tokens/s':>9} {'cpu s':>6} {'cpu/wall':>8}")
    for name, streams, tokens, interval, wall, cpu, got in results:
        pace = f"{1000 // interval}/s" if interval else "unpaced"
        print(f"{name:7} {streams:>7} {tokens:>6} {pace:>8} {wall:7.2f} {got / wall:9.0f} "
              f"{cpu:6.2f} {cpu / wall:8.2f}")


if __name__ == "__main__":
    main()
