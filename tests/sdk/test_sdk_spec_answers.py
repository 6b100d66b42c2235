"""Answers docs/PROTOCOL.md pins down that an independent client relies on, checked with raw
calls on the SDK's QUIC connection: what identifies a connection without `connection-id`
metadata (§7), and a stream with nothing left to generate (§7.1, §8.6): `Assigned` first,
then `Done{0, "done"}`, no ticket."""

from connswap import StatusCode
from connswap.v1 import director_pb2
from connswap.wire import Kind, encode_frame
from conftest import client_for, run
from test_sdk_errors import header, raw_call, request


def items_of(messages):
    """The GenerateItems of a raw call's message bodies."""
    items = []
    for body in messages:
        item = director_pb2.GenerateItem()
        item.ParseFromString(body)
        items.append(item)
    return items


def kinds(items):
    return [i.WhichOneof("item") for i in items]


def assigned_id(messages):
    items = items_of(messages)
    assert kinds(items)[0] == "assigned", kinds(items)
    return items[0].assigned.connection_id


def test_calls_without_a_connection_id_share_their_connections_id(shared_cluster):
    """No metadata: one id per QUIC connection, the same for each of its calls."""
    async def two_calls():
        async with client_for(shared_cluster) as c:
            first, end1 = await raw_call(c, header() + request(max_tokens=2))
            second, end2 = await raw_call(c, header() + request(max_tokens=2))
            assert end1.code == end2.code == StatusCode.OK
            return assigned_id(first), assigned_id(second)

    a1, a2 = run(two_calls())
    b1, b2 = run(two_calls())  # another client: another QUIC connection
    assert a1 == a2 and b1 == b2, (a1, a2, b1, b2)
    assert a1 != b1
    assert a1.startswith("quic-") and len(a1) > len("quic-")


def test_start_seq_past_max_tokens_is_assigned_then_done(shared_cluster):
    async def scenario():
        async with client_for(shared_cluster) as c:
            return await raw_call(c, header() + request(max_tokens=3, start_seq=5))

    messages, end = run(scenario())
    items = items_of(messages)
    assert kinds(items) == ["assigned", "done"]
    assert items[0].assigned.worker == "" and items[0].assigned.connection_id
    assert (items[1].done.tokens, items[1].done.finish_reason) == (0, "done")
    assert (end.code, end.local) == (StatusCode.OK, False)


def test_resuming_a_complete_stream_is_assigned_then_done(cluster):
    keys = cluster.make_key_file("cluster.keys")
    cluster.start_director({"--cluster-key-file": str(keys), "--resume-every-tokens": "2"})
    cluster.start_worker("worker-a")
    max_tokens = 4

    async def scenario():
        async with client_for(cluster) as c:
            whole, end = await raw_call(c, header(connection_id=b"conn-spec")
                                        + request(max_tokens=max_tokens))
            assert end.code == StatusCode.OK, end
            items = items_of(whole)
            ticket = [i.ticket for i in items if i.WhichOneof("item") == "ticket"][-1]
            texts = {i.token.seq: i.token.text for i in items
                     if i.WhichOneof("item") == "token"}
            assert sorted(texts) == list(range(1, max_tokens + 1))
            resume = director_pb2.Resume(
                token=ticket.token, snapshot=ticket.snapshot, last_seq=max_tokens,
                recent=[texts[s] for s in range(ticket.next_seq, max_tokens + 1)])
            body = director_pb2.GenerateRequest(resume=resume).SerializeToString()
            return whole, await raw_call(c, header(connection_id=b"conn-spec")
                                         + encode_frame(Kind.MESSAGE, body))

    whole, (messages, end) = run(scenario())
    first = items_of(whole)[0].assigned
    items = items_of(messages)
    assert kinds(items) == ["assigned", "done"], kinds(items)
    assert (items[0].assigned.stream_id, items[0].assigned.connection_id) == \
        (first.stream_id, "conn-spec")
    assert items[0].assigned.worker == ""
    assert (items[1].done.tokens, items[1].done.finish_reason) == (0, "done")
    assert (end.code, end.local) == (StatusCode.OK, False)
