"""Three SDK streams through a worker failure, for each way a worker fails (in-band error,
SIGKILL, SIGSTOP, drain = SIGTERM): every stream gets every token exactly once, in order,
with the synthetic generator's text (verify=True), ends with Done; the streams that were on
worker-a saw one migration to worker-b, as a flag on the next token and through
on_migrated; the others none."""

import asyncio

import pytest

from conftest import client_for, run
from connswap_cluster import log_field
from failover import FAILURES, MIGRATED, TOKENS, inflict, start_cluster

STREAMS = 3


async def streams_through(cluster, failure):
    """Runs STREAMS streams; inflicts `failure` once each has 6 tokens. Returns
    (streams, tokens per stream, callbacks per stream)."""
    started = asyncio.Event()
    counts = [0] * STREAMS
    tokens = [[] for _ in range(STREAMS)]
    seen = [[] for _ in range(STREAMS)]

    async def consume(i, stream):
        async for tok in stream:
            tokens[i].append(tok)
            counts[i] += 1
            if min(counts) >= 6:
                started.set()

    async with client_for(cluster) as c:
        streams = [c.generate(f"story {i}", TOKENS, verify=True,
                              on_migrated=seen[i].append) for i in range(STREAMS)]
        tasks = [asyncio.create_task(consume(i, s)) for i, s in enumerate(streams)]
        await started.wait()
        inflict(cluster, failure)
        await asyncio.gather(*tasks)
        assert c.quic_handshakes == 1
    return streams, tokens, seen


@pytest.mark.parametrize("failure", FAILURES)
def test_three_streams_survive_a_worker_failure(cluster, failure):
    start_cluster(cluster, failure)
    streams, tokens, seen = run(streams_through(cluster, failure))
    on_a = 0
    for stream, toks, callbacks in zip(streams, tokens, seen):
        assert [t.seq for t in toks] == list(range(1, TOKENS + 1))
        assert stream.done and stream.finish_reason, stream.finish_reason
        assert stream.tokens == TOKENS and stream.resumes == 0
        flagged = [t for t in toks if t.migrated is not None]
        if toks[0].worker == "worker-a":
            on_a += 1
            assert len(stream.migrations) == 1, stream.migrations
            m = stream.migrations[0]
            assert (m.from_worker, m.to_worker) == ("worker-a", "worker-b")
            assert callbacks == [m]
            assert [t.migrated for t in flagged] == [m]
            assert flagged[0].seq == m.resume_seq and flagged[0].worker == "worker-b"
            assert {t.worker for t in toks if t.seq >= m.resume_seq} == {"worker-b"}
        else:
            assert stream.migrations == [] and flagged == [] and callbacks == []
    assert on_a == 2, [t[0].worker for t in tokens]
    moves = cluster.director.process.stderr_lines(MIGRATED)
    assert len(moves) == on_a, cluster.logs()
    assert {log_field(m, "from_worker") for m in moves} == {"worker-a"}
