"""The worker failures both SDK suites drive a stream through (tests/python/test_failover.py,
tests/sdk/test_sdk_failover.py): a cluster where round robin puts the first stream on
worker-a, and the failure inflicted on worker-a."""

import signal

TOKENS = 80  # x 25 ms = 2 s: a failure lands mid-stream
ERROR_AFTER_MS = 1500  # worker-a's in-band error, counted from its start
FAILURES = ["error", "sigkill", "sigstop", "drain"]
MIGRATED = "migrating connection to new worker"


def start_cluster(cluster, failure, director_flags=None):
    """worker-b (healthy) registers first, then worker-a: round robin puts the first stream
    (and every second one after it) on worker-a. "error" makes worker-a fail in-band
    ERROR_AFTER_MS after it starts."""
    director = dict(director_flags or {})
    if failure == "drain":
        director["--min-stall-ms"] = "3000"  # only make-before-break can be gap-free
    cluster.start_director(director)
    cluster.start_worker("worker-b")
    a = {}
    if failure == "error":
        a = {"--fail-mode": "error", "--fail-after-ms": str(ERROR_AFTER_MS)}
    cluster.start_worker("worker-a", a)


def inflict(cluster, failure):
    """SIGKILL, SIGSTOP or SIGTERM (drain) to worker-a; "error" is already scheduled."""
    signum = {"sigkill": signal.SIGKILL, "sigstop": signal.SIGSTOP,
              "drain": signal.SIGTERM}.get(failure)
    if signum is not None:
        assert cluster.find_node("worker-a").process.signal(signum), "worker-a is gone"
