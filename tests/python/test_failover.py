"""The official openai SDK through a worker failover, for each way a worker can fail: chat
and completions, streamed and not. The text the SDK returns equals the text of the same
request served again afterwards without a failure, finish_reason and usage are right, the
SDK raised nothing, and the director migrated the stream once, from worker-a to worker-b
(on a stream, as the one SSE comment line the SDK skipped)."""

import concurrent.futures
from dataclasses import dataclass, field

import pytest

from conftest import sdk_client
from connswap_cluster import STREAM_BUDGET, log_field
import failover
from failover import FAILURES, MIGRATED, TOKENS, inflict

MODEL = "connswap-synthetic"
HTTP = {"--http-addr": "127.0.0.1:0"}


def start_cluster(cluster, failure, director_flags=None):
    """failover.start_cluster with the director's HTTP front on port 0."""
    failover.start_cluster(cluster, failure, {**HTTP, **(director_flags or {})})


@dataclass
class Answer:
    """What the SDK returned for one request."""
    text: str = ""
    finish_reason: str = ""
    usage: object = None
    ids: set = field(default_factory=set)


def request(client, chat, stream, prompt):
    """client.chat.completions.create or client.completions.create for `prompt`."""
    args = {"model": MODEL, "max_tokens": TOKENS, "stream": stream}
    if stream:
        args["stream_options"] = {"include_usage": True}
    if chat:
        return client.chat.completions.create(
            messages=[{"role": "user", "content": prompt}], **args)
    return client.completions.create(prompt=prompt, **args)


def read_stream(chunks, chat, after=6, then=None):
    """Concatenates a stream's text; calls then() once `after` chunks have arrived."""
    answer = Answer()
    for count, chunk in enumerate(chunks, start=1):
        answer.ids.add(chunk.id)
        if chunk.usage is not None:
            answer.usage = chunk.usage
        for choice in chunk.choices:
            answer.text += (choice.delta.content if chat else choice.text) or ""
            answer.finish_reason = choice.finish_reason or answer.finish_reason
        if count == after and then is not None:
            then()
    return answer


def whole(response, chat):
    """The Answer of a non-streamed response."""
    choice = response.choices[0]
    return Answer(text=choice.message.content if chat else choice.text,
                  finish_reason=choice.finish_reason, usage=response.usage, ids={response.id})


def check_answer(got, want):
    assert want.text, "the reference answer has no text"
    assert got.text == want.text
    assert got.finish_reason == "length"
    assert len(got.ids) == 1
    assert got.usage is not None, "no usage"
    assert got.usage.completion_tokens == TOKENS
    assert got.usage.total_tokens == got.usage.prompt_tokens + got.usage.completion_tokens


def check_one_migration(cluster):
    moves = cluster.director.process.stderr_lines(MIGRATED)
    assert len(moves) == 1, cluster.logs()
    assert log_field(moves[0], "from_worker") == "worker-a"
    assert log_field(moves[0], "to_worker") == "worker-b"


def comments(raw):
    """The SSE comment lines (": ...") of a raw answer, without the colon and space."""
    return [line[2:] for line in raw.decode().splitlines() if line.startswith(": ")]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("chat", [True, False], ids=["chat", "completions"])
def test_stream_continues_word_for_word(cluster, chat, failure):
    start_cluster(cluster, failure)
    client, tap = sdk_client(cluster)
    prompt = "tell me a long story"
    got = read_stream(request(client, chat, True, prompt), chat,
                      then=lambda: inflict(cluster, failure))
    check_one_migration(cluster)
    seen = comments(tap.bodies[-1])
    # The same request again, now served by worker-b alone: the uninterrupted text.
    want = read_stream(request(client, chat, True, prompt), chat)

    check_answer(got, want)
    assert len(seen) == 1, f"one migration comment expected: {seen}"
    assert seen[0].startswith("migrated from=worker-a to=worker-b reason="), seen[0]
    assert comments(tap.bodies[-1]) == []
    check_one_migration(cluster)


def test_sdk_reads_events_with_resume_ids_through_a_failover(cluster):
    """With a cluster key every token event carries an SSE id (a resume point); the SDK
    skips it and the text is still whole across a SIGKILLed worker."""
    keys = cluster.make_key_file("cluster.keys")
    start_cluster(cluster, "sigkill", {"--cluster-key-file": str(keys)})
    client, tap = sdk_client(cluster)
    prompt = "tell me a long story"
    got = read_stream(request(client, True, True, prompt), True,
                      then=lambda: inflict(cluster, "sigkill"))
    raw = tap.bodies[-1].decode()
    want = read_stream(request(client, True, True, prompt), True)

    check_answer(got, want)
    check_one_migration(cluster)
    ids = [line for line in raw.splitlines() if line.startswith("id: ")]
    assert len(ids) >= TOKENS // 2, f"{len(ids)} event ids in {raw[:400]!r}"
    assert len(set(ids)) == len(ids), "an id repeated"


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("chat", [True, False], ids=["chat", "completions"])
def test_whole_body_survives_failover(cluster, chat, failure):
    start_cluster(cluster, failure)
    client, _ = sdk_client(cluster)
    prompt = "once upon a time"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(request, client, chat, False, prompt)
        # No byte arrives before the end: the failure follows worker-a's assignment instead.
        assert cluster.director.process.wait_for_log(
            "worker=worker-a", "worker assigned to stream"), cluster.logs()
        inflict(cluster, failure)
        got = whole(pending.result(timeout=STREAM_BUDGET), chat)
    check_one_migration(cluster)
    want = whole(request(client, chat, False, prompt), chat)

    check_answer(got, want)
    check_one_migration(cluster)
