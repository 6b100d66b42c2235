#!/usr/bin/env python3
"""What the worker + director path adds in front of a real model server, and the failover
gap when that server is SIGKILLed mid-answer (docs/BENCHMARKS.md, "Model servers").

    bench/llm/run.sh [BUILD_DIR]            (makes the llm venv, then runs this)

Two llama.cpp servers (llama-cpp-python, the tiny model tests/llm/make_model.py writes), a
director with its HTTP front and one connswap-worker --backend openai per server, all on
127.0.0.1 port 0 (tests/python/connswap_cluster.py starts the connswap programs).

1. Latency: RUNS sequential streams of TOKENS tokens with the same prompt, straight to a
   server and through the director's HTTP front; time to first token (request written ->
   first token chunk read) and inter-token gap (between consecutive token chunks), p50 and
   p99. The server serves one request at a time and the client runs one at a time, so
   nothing queues.
2. Failover: KILLS times, a stream is started through the director on the worker whose
   server is then SIGKILLed after 50 token chunks; the gap is the time from the last
   token before the migration comment to the first token after it, as the client sees it.
   A new server and worker replace the killed one after each kill. Every answer is checked against the
   uninterrupted text (a mismatch fails the run).
"""

import argparse
import http.client
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "python"))
import connswap_cluster  # noqa: E402  (the repository's cluster helper)

PROMPT = "hello world"
MODEL = "tiny"


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class LlamaServer:
    """tests/llm/serve.py on port 0 with the model; stopped by stop()."""

    def __init__(self, directory, name, model):
        self.ready = directory / f"{name}.ready"
        self.ready.unlink(missing_ok=True)
        self.log = open(directory / f"{name}.log", "wb")
        self.popen = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "llm" / "serve.py"), "--model", str(model),
             "--ready-file", str(self.ready), "--alias", MODEL],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        fields = connswap_cluster.poll_until(self._read, 60)
        if not fields:
            raise RuntimeError(f"{name} did not start; see {directory / (name + '.log')}")
        self.addr = fields["addr"]

    def _read(self):
        try:
            text = self.ready.read_text()
        except FileNotFoundError:
            return None
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return fields if "pid" in fields else None

    def url(self):
        return f"http://{self.addr}/v1"

    def stop(self, sig=signal.SIGTERM):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        self.popen.wait(timeout=30)


def stream(addr, tokens, on_token=None):
    """One streaming /v1/completions to host:port; (text, [(time, text)...], t_request,
    comments). on_token(count) is called after each token chunk."""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    body = json.dumps({"model": MODEL, "prompt": PROMPT, "max_tokens": tokens, "temperature": 0,
                       "repeat_penalty": 1.0, "stream": True})
    t_request = time.perf_counter()
    conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {resp.read()[:200]!r}")
    times, comments, done, finish = [], [], False, None
    while True:
        line = resp.readline()
        if not line:
            break
        line = line.rstrip(b"\r\n")
        now = time.perf_counter()
        if line.startswith(b":"):
            comments.append((now, line[1:].strip().decode()))
        elif line == b"data: [DONE]":
            done = True
            break
        elif line.startswith(b"data: "):
            chunk = json.loads(line[6:])
            for choice in chunk.get("choices") or []:
                if choice.get("text"):
                    times.append((now, choice["text"]))
                    if on_token:
                        on_token(len(times))
                finish = choice.get("finish_reason") or finish
    conn.close()
    if not done or finish is None:
        raise RuntimeError(f"stream cut after {len(times)} tokens (done={done}, finish={finish})")
    return "".join(t for _, t in times), times, t_request, comments


def latency(addr, runs, tokens, want):
    ttft, gaps = [], []
    for _ in range(runs):
        text, times, t0, _ = stream(addr, tokens)
        if text != want:
            raise RuntimeError("a latency run's text differs from the reference")
        ttft.append(times[0][0] - t0)
        gaps += [b[0] - a[0] for a, b in zip(times, times[1:])]
    return ttft, gaps


def ms(x):
    return f"{x * 1000:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="connswap-llm-bench-"))
    model = work / "tiny.gguf"
    subprocess.run([sys.executable, str(ROOT / "tests" / "llm" / "make_model.py"), str(model)],
                   check=True, stdout=subprocess.DEVNULL)
    servers = {f"worker-{n}": LlamaServer(work, f"llama-{n}", model) for n in ("a", "b")}
    cluster = connswap_cluster.Cluster(work)
    try:
        director = cluster.start_director({"--http-addr": "127.0.0.1:0",
                                           "--worker-wait-ms": "20000",
                                           "--first-token-timeout-ms": "20000"})
        for label, server in servers.items():
            cluster.start_worker(label, worker_flags(server))
            cluster.find_node(label).process.wait_for_log("model server healthy")
        front = director.field("http")
        direct = servers["worker-b"].addr
        want, _, _, _ = stream(direct, args.tokens)
        for name, addr in (("direct", direct), ("via connswap", front)):
            stream(addr, args.tokens)  # warm-up (connections, the server's caches)
            ttft, gaps = latency(addr, args.runs, args.tokens, want)
            print(f"{name:13s} ttft_ms p50={ms(statistics.median(ttft))} "
                  f"p90={ms(percentile(ttft, 90))} p99={ms(percentile(ttft, 99))}  itl_ms p50={ms(statistics.median(gaps))} "
                  f"p99={ms(percentile(gaps, 99))}  streams={args.runs} tokens={args.tokens}")
        if args.kills > 0:
            failover(cluster, servers, work, model, front, args, want)
    finally:
        if os.environ.get("LLM_BENCH_VERBOSE"):
            print(cluster.logs(), file=sys.stderr)
        problems = cluster.shutdown()
        for s in servers.values():
            s.stop()
        if problems:
            print("\n".join(problems), file=sys.stderr)


def worker_flags(server):
    return {"--backend": "openai", "--backend-url": server.url(), "--model": MODEL,
            "--backend-param": "repeat_penalty=1.0", "--backend-health-interval-ms": "100",
            "--backend-first-token-ms": "20000"}


def failover(cluster, servers, work, model, front, args, want):
    gaps = []
    for i in range(args.kills):
        # The director places streams round robin; the worker it assigned this stream to
        # (its last "worker assigned" line) is the one whose server is killed.
        served = {}

        def strike(count):
            if count == 50 and not served:
                served["victim"] = victim_of(cluster)
                servers[served["victim"]].stop(signal.SIGKILL)

        text, times, _, comments = stream(front, args.tokens, strike)
        if text != want:
            raise RuntimeError(f"kill {i}: the continued text differs from the reference")
        if len(comments) != 1:
            raise RuntimeError(f"kill {i}: {len(comments)} migrations: {comments}")
        t_comment = comments[0][0]
        before = [t for t, _ in times if t <= t_comment]
        after = [t for t, _ in times if t > t_comment]
        gaps.append(after[0] - before[-1])
        if os.environ.get("LLM_BENCH_VERBOSE"):
            print(f"kill {i}: gap_ms={ms(gaps[-1])} {comments[0][1]}", file=sys.stderr)
        # A new server behind a new worker (a new label: the director holds a failed
        # worker's label back for --failure-hold-ms, which would add to the next gap).
        victim = served["victim"]
        node = cluster.find_node(victim)
        node.process.signal(signal.SIGTERM)
        node.process.wait_exit(30)
        del servers[victim]
        label = f"worker-k{i}"
        servers[label] = LlamaServer(work, f"llama-{label}", model)
        cluster.start_worker(label, worker_flags(servers[label]))
        cluster.find_node(label).process.wait_for_log("model server healthy")
    print(f"failover (server SIGKILL after 50 tokens) gap_ms p50={ms(statistics.median(gaps))} "
          f"p99={ms(percentile(gaps, 99))} max={ms(max(gaps))} kills={args.kills} "
          f"texts_exact={args.kills}/{args.kills}")


def victim_of(cluster):
    """The worker the director last assigned a stream to."""
    lines = cluster.director.process.stderr_lines("worker assigned")
    return connswap_cluster.log_field(lines[-1], "worker")


if __name__ == "__main__":
    main()
