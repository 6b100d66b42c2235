"""Typed errors and the spec's answers to malformed calls (docs/PROTOCOL.md §4.1), on one
shared director + worker. Each malformed probe is a raw stream on the SDK's connection;
after every probe the same connection still serves a Generate (errors are per stream)."""

import asyncio

import pytest

import connswap
from conftest import client_for, run
from connswap import StatusCode
from connswap.v1 import director_pb2, rpc_pb2
from connswap.wire import Kind, encode_frame, encode_varint

GENERATE = "connswap.v1.Director/Generate"


def header(method=GENERATE, **metadata):
    h = rpc_pb2.CallHeader(method=method)
    for k, v in metadata.items():
        h.metadata[k.replace("_", "-")] = v
    return encode_frame(Kind.HEADER, h.SerializeToString())


def request(prompt="probe", max_tokens=3, **fields):
    body = director_pb2.GenerateRequest(prompt=prompt, max_tokens=max_tokens, **fields)
    return encode_frame(Kind.MESSAGE, body.SerializeToString())


async def raw_call(client, data, fin=True):
    """Sends `data` on a new stream of the client's connection; (messages, End)."""
    conn = await client._connection()
    call = conn.open_call()
    call.send(data, fin=fin)
    messages = []
    while True:
        item = await call.items.get()
        if isinstance(item, connswap._connection.End):
            return messages, item
        messages.append(item)


async def still_serves(client):
    toks = [t async for t in client.generate("after a probe", 3, verify=True)]
    assert [t.seq for t in toks] == [1, 2, 3]


PROBES = {
    "message_before_header": (request(), StatusCode.INVALID_ARGUMENT),
    "length_zero": (b"\x00", StatusCode.INVALID_ARGUMENT),
    "unknown_kind": (encode_varint(2) + b"\x09\x00", StatusCode.INVALID_ARGUMENT),
    "trailer_from_client": (header() + encode_frame(Kind.TRAILER, b""),
                            StatusCode.INVALID_ARGUMENT),
    "second_header": (header() + header(), StatusCode.INVALID_ARGUMENT),
    "header_does_not_decode": (encode_frame(Kind.HEADER, b"\xff\xff"),
                               StatusCode.INVALID_ARGUMENT),
    "method_with_a_space": (header("connswap.v1.Director/Gen erate") + request(),
                            StatusCode.INVALID_ARGUMENT),
    "fin_inside_a_frame": (header() + request()[:-1], StatusCode.INVALID_ARGUMENT),
    "fin_before_header": (b"", StatusCode.INVALID_ARGUMENT),
    "no_request": (header(), StatusCode.INVALID_ARGUMENT),
    "two_requests": (header() + request() + request(), StatusCode.INVALID_ARGUMENT),
    "request_does_not_decode": (header() + encode_frame(Kind.MESSAGE, b"\xff\xff\xff"),
                                StatusCode.INVALID_ARGUMENT),
    "frame_over_the_limit": (header() + encode_varint(4 * 1024 * 1024 + 2) + b"\x02",
                             StatusCode.RESOURCE_EXHAUSTED),
    "unknown_method": (header("connswap.v1.Nope/Nothing"), StatusCode.UNIMPLEMENTED),
    "bad_connection_id": (header(connection_id=b"two words") + request(),
                          StatusCode.INVALID_ARGUMENT),
    "resume_without_a_cluster_key": (
        header() + encode_frame(Kind.MESSAGE, director_pb2.GenerateRequest(
            resume=director_pb2.Resume(token=b"t", snapshot=b"s", last_seq=1))
            .SerializeToString()), StatusCode.FAILED_PRECONDITION),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_malformed_calls_are_answered_as_the_spec_says(shared_cluster, probe):
    data, want = PROBES[probe]
    # Probes whose frame is incomplete or over the limit must not wait for more bytes.
    fin = probe not in ("frame_over_the_limit", "unknown_method")

    async def scenario():
        async with client_for(shared_cluster) as c:
            messages, end = await raw_call(c, data, fin=fin)
            await still_serves(c)
            return messages, end

    messages, end = run(scenario())
    assert (end.code, end.local) == (want, False), end
    assert messages == []


def raises(cluster, exc, **generate):
    async def scenario():
        kwargs = generate.pop("client", {})
        async with client_for(cluster, **kwargs) as c:
            with pytest.raises(exc) as info:
                await c.generate("typed", **generate).collect()
            if not kwargs:  # the connection still serves the next call
                await still_serves(c)
            return info.value

    return run(scenario())


def test_bad_connection_id_is_invalid_argument(shared_cluster):
    e = raises(shared_cluster, connswap.InvalidArgument, max_tokens=3,
               client={"connection_id": "has a space"})
    assert e.code == StatusCode.INVALID_ARGUMENT and "connection-id" in e.message


def test_no_worker_for_the_model_is_unavailable(shared_cluster):
    e = raises(shared_cluster, connswap.Unavailable, max_tokens=3, model="no-such-model")
    assert e.code == StatusCode.UNAVAILABLE and e.message


def test_deadline_is_deadline_exceeded(shared_cluster):
    e = raises(shared_cluster, connswap.DeadlineExceeded, max_tokens=200, timeout=0.3)
    assert e.code == StatusCode.DEADLINE_EXCEEDED


def test_mgmt_call_without_a_certificate_is_unauthenticated(shared_cluster):
    async def scenario():
        async with connswap.Client([shared_cluster.director.field("mgmt")],
                                   ca=str(shared_cluster.certs / "ca.pem")) as c:
            drain = rpc_pb2.CallHeader(method="connswap.v1.Registry/Drain")
            body = director_pb2.DrainRequest(label="worker-a").SerializeToString()
            return await raw_call(c, encode_frame(Kind.HEADER, drain.SerializeToString())
                                  + encode_frame(Kind.MESSAGE, body))

    messages, end = run(scenario())
    assert end.code == StatusCode.UNAUTHENTICATED and messages == []
    e = connswap.error_for(end.code, end.message)
    assert isinstance(e, connswap.Unauthenticated) and "certificate" in e.message


def test_certificates_are_verified(shared_cluster, tmp_path):
    """Another CA, or a name the certificate does not carry: no connection."""
    other = shared_cluster._spawn("certs-other", [
        shared_cluster.all[0].popen.args[0], "--out", str(tmp_path / "other")])
    assert other.wait_exit(20) == 0
    addr = shared_cluster.director.field("user")

    async def connect(**kwargs):
        c = connswap.Client([addr], connect_timeout=2.0, **kwargs)
        try:
            with pytest.raises(connswap.Unavailable) as info:
                await c.connect()
            return info.value
        finally:
            await c.close()

    wrong_ca = run(connect(ca=str(tmp_path / "other" / "ca.pem")))
    wrong_name = run(connect(ca=str(shared_cluster.certs / "ca.pem"),
                             server_name="elsewhere.example"))
    assert "elsewhere.example" in wrong_name.message
    assert wrong_ca.code == StatusCode.UNAVAILABLE


def test_cancelling_a_stream_cancels_the_worker_call(shared_cluster):
    async def scenario():
        async with client_for(shared_cluster) as c:
            stream = c.generate("cancel me", 0)
            async for tok in stream:
                if tok.seq == 3:
                    break
            await stream.aclose()
            await still_serves(c)
            return stream

    stream = run(scenario())
    assert stream.tokens == 3 and not stream.done


def test_sync_client_streams(shared_cluster):
    with connswap.SyncClient([shared_cluster.director.field("user")],
                             ca=str(shared_cluster.certs / "ca.pem")) as c:
        toks = list(c.generate("sync", 5, verify=True))
        with pytest.raises(connswap.DeadlineExceeded):
            list(c.generate("sync", 200, timeout=0.2))
        again = list(c.generate("sync", 2))
    assert [t.text for t in toks] == [connswap.demo_token("sync", i) for i in range(1, 6)]
    assert [t.text for t in again] == [t.text for t in toks[:2]]
