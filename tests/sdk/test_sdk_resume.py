"""Streams that outlive their director: SIGKILL + restart on the same address, two directors
sharing a cluster key (the client moves to the next one), and a UDP rebind mid-stream (QUIC
connection migration, no new handshake). Every stream gets every token exactly once, in
order, with the generator's text, and keeps its stream id."""

import asyncio
import signal

import pytest

import connswap

from conftest import client_for, run

TOKENS = 120  # x 25 ms = 3 s
STREAMS = 3
RESUME_FLAGS = {"--resume-every-tokens": "8"}


async def run_streams(client, n, on_started, min_tokens=10, prompt="resume"):
    """Runs n streams; awaits on_started() once each has min_tokens; returns
    (streams, tokens per stream)."""
    started = asyncio.Event()
    counts = [0] * n
    tokens = [[] for _ in range(n)]

    async def consume(i, stream):
        async for tok in stream:
            tokens[i].append(tok)
            counts[i] += 1
            if min(counts) >= min_tokens:
                started.set()

    streams = [client.generate(f"{prompt} {i}", TOKENS, verify=True) for i in range(n)]
    tasks = [asyncio.create_task(consume(i, s)) for i, s in enumerate(streams)]
    await started.wait()
    await on_started()
    await asyncio.gather(*tasks)
    return streams, tokens


def check_whole(streams, tokens):
    for stream, toks in zip(streams, tokens):
        assert [t.seq for t in toks] == list(range(1, TOKENS + 1))
        assert stream.done and stream.tokens == TOKENS


def test_director_sigkill_and_restart_resumes_every_stream(cluster):
    keys = cluster.make_key_file("cluster.keys")
    flags = {"--cluster-key-file": str(keys), **RESUME_FLAGS}
    first = cluster.start_director(flags)
    cluster.start_worker("worker-a")
    cluster.start_worker("worker-b")
    user, mgmt = first.field("user"), first.field("mgmt")

    async def kill_and_restart():
        first.process.signal(signal.SIGKILL)
        assert first.process.wait_exit(10) == -signal.SIGKILL
        # Same addresses: the workers find it again, the client reconnects to it.
        again = cluster.start_director({**flags, "--user-addr": user, "--mgmt-addr": mgmt})
        for label in ("worker-a", "worker-b"):
            assert again.process.wait_for_log(f"worker={label} ", "worker registered"), \
                cluster.logs()

    async def scenario():
        async with client_for(cluster) as c:
            streams, tokens = await run_streams(c, STREAMS, kill_and_restart)
            return c, streams, tokens, [s.stream_id for s in streams]

    c, streams, tokens, ids = run(scenario())
    check_whole(streams, tokens)
    for stream, toks in zip(streams, tokens):
        assert stream.resumes >= 1
        assert sum(t.resumed for t in toks) == stream.resumes
    assert len(set(ids)) == STREAMS
    assert c.quic_handshakes >= 2


@pytest.mark.parametrize("failure", ["sigstop", "sigkill", "sigterm"])
def test_two_directors_sharing_a_key_take_over_each_others_streams(cluster, failure):
    """The first director hangs (SIGSTOP: its keep-alive PINGs go unanswered for 1 s), dies
    (SIGKILL: a PING's ICMP port unreachable, ECONNREFUSED, tells at once, long before
    dead_after would) or stops (SIGTERM: it ends each stream UNAVAILABLE after a last
    ticket); the client resumes every stream on the second."""
    dead_after = 1.0 if failure == "sigstop" else 60.0
    keys = cluster.make_key_file("cluster.keys")
    flags = {"--cluster-key-file": str(keys), **RESUME_FLAGS}
    one = cluster.start_director(flags)
    cluster.start_worker("worker-a")
    two = cluster.start_director(flags)
    cluster.start_worker("worker-b")

    async def kill_first():
        one.process.signal({"sigstop": signal.SIGSTOP, "sigkill": signal.SIGKILL,
                            "sigterm": signal.SIGTERM}[failure])

    async def scenario():
        async with client_for(cluster, [one.field("user"), two.field("user")],
                              dead_after=dead_after) as c:
            streams, tokens = await run_streams(c, STREAMS, kill_first)
            # The lost connection's socket is closed, not leaked.
            [lost] = [m for m in c._made if m.lost is not None]
            await lost.released()
            assert lost._transport.is_closing()
            return c, streams, tokens

    c, streams, tokens = run(scenario())
    check_whole(streams, tokens)
    for stream, toks in zip(streams, tokens):
        assert toks[0].worker == "worker-a" and toks[-1].worker == "worker-b"
        first_b = next(t for t in toks if t.worker == "worker-b")
        assert first_b.resumed
        assert {type(e) for e in stream.interruptions} == {connswap.Unavailable}
        assert 1 <= stream.resumes <= len(stream.interruptions)
    assert c.director == two.field("user") and c.quic_handshakes == 2
    if failure == "sigterm":
        # The stopping director's UNAVAILABLE trailer; a stream may try it once more (a
        # director's answer is not a lost connection) before its connection closes.
        for stream in streams:
            assert 1 <= len(stream.interruptions) <= 2
            assert "connection lost" not in stream.interruptions[0].message
    else:
        why = {"sigstop": "keep-alive unanswered", "sigkill": "ECONNREFUSED"}[failure]
        for stream in streams:
            assert stream.resumes == 1 and len(stream.interruptions) == 1
            assert why in stream.interruptions[0].message, stream.interruptions[0]
    assert two.process.wait_for_log("stream resumed", count=STREAMS), cluster.logs()


def test_udp_rebind_mid_stream_keeps_the_connection(cluster):
    cluster.start_director()
    cluster.start_worker("worker-a")
    ports = []

    async def scenario():
        async with client_for(cluster) as c:
            before = c._conn._transport.get_extra_info("sockname")[1]

            async def rebind():
                ports.append(await c.rebind())

            streams, tokens = await run_streams(c, 1, rebind)
            after = c._conn._transport.get_extra_info("sockname")[1]
            return c, streams, tokens, before, after

    c, streams, tokens, before, after = run(scenario())
    check_whole(streams, tokens)
    # The old socket is closed: the 110 tokens after the rebind reached the new port.
    assert ports == [after] and before != after
    assert c.rebinds == 1 and c.quic_handshakes == 1 and streams[0].resumes == 0
    assert streams[0].migrations == []
