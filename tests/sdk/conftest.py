"""Fixtures for the SDK tests: a real connswap cluster per test (tests/python's
connswap_cluster.py: connswap-certs, a director and workers as child processes on
127.0.0.1 port 0 in a temporary directory) and helpers to drive the SDK against it."""

import asyncio
import pathlib
import sys

import pytest

_tests = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_tests / "pysupport"), str(_tests / "python")]

from cluster_fixtures import cluster, started_cluster  # noqa: E402,F401 (fixture)
from connswap_cluster import STREAM_BUDGET  # noqa: E402

import connswap  # noqa: E402


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """One director and one worker, shared by a module's tests."""
    yield from started_cluster(tmp_path_factory, "shared")


def client_for(cluster, directors=None, **kwargs):
    """A connswap.Client on the cluster's director (or `directors`), verifying the
    director's certificate against the cluster CA."""
    addrs = directors or [cluster.director.field("user")]
    return connswap.Client(addrs, ca=str(cluster.certs / "ca.pem"), **kwargs)


def run(coro, budget=STREAM_BUDGET):
    """Runs `coro` on a fresh event loop, failing the test after `budget` seconds."""
    return asyncio.run(asyncio.wait_for(coro, budget))


async def wait_tokens(stream_counts, n, budget=STREAM_BUDGET):
    """Waits (polling the event loop, no fixed sleep) until every count in the callable
    `stream_counts()` is >= n."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    while not all(c >= n for c in stream_counts()):
        if loop.time() > deadline:
            raise AssertionError(f"tokens {stream_counts()} did not reach {n}")
        await asyncio.sleep(0.01)
