"""The asyncio client: Client, Stream, Token, Migration (docs/PROTOCOL.md §7.1, §8.6).

A Client holds one QUIC connection to one director of its list at a time and one
connection id for its lifetime (the resume tokens are bound to it). Each `generate()` is a
Stream: an async iterator of Tokens that carries on through worker migrations (the director
does those) and through the loss of the director: the Stream keeps the latest ResumeTicket,
and when its call ends UNAVAILABLE it reconnects (to the next director when the connection
was lost) with backoff and resumes from the ticket. Tokens are checked to arrive exactly
once and in order; with verify=True their text is checked against the synthetic generator.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _connection
from ._connection import Call, End, TlsOptions, _Connection
from .errors import (ConnswapError, DeadlineExceeded, Internal, StatusCode, Unavailable,
                     VerificationError, error_for)
from .generator import demo_token
from .v1 import director_pb2, rpc_pb2
from .wire import DEFAULT_MAX_BODY, Kind, encode_frame

GENERATE = "connswap.v1.Director/Generate"
# The director's default prefix bounds (§7.2): a bounded stream within them sends every
# delivered token on resume, so a worker in front of a model server can continue it.
PREFIX_MAX_TOKENS = 32_768
PREFIX_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Migration:
    """The stream moved from worker `from_worker` to `to_worker`; `resume_seq` is the next
    seq the client receives; `reason` as in §7.1 (error, reset, stall, drain, ...)."""

    from_worker: str
    to_worker: str
    reason: str
    resume_seq: int


@dataclass(frozen=True)
class Token:
    """One token. `migrated` is set on the first token after a migration, `resumed` on the
    first token of a call that resumed the stream (after the loss of a director)."""

    seq: int
    text: str
    worker: str
    migrated: Migration | None = None
    resumed: bool = False
    emit_ns: int = 0


def random_connection_id() -> str:
    """conn-<16 hex digits>: 64 random bits, as connswap-client makes them."""
    return f"conn-{secrets.randbits(64):016x}"


class Client:
    """An asyncio connswap client. Use as `async with Client([...], ca=...) as c:`.

    directors: USER addresses HOST:PORT, tried in order (the next one after each lost
    connection). ca: PEM of the cluster CA (None: the system's store); certificates are
    verified unless verify_tls=False. cert/key: an optional client certificate.
    keepalive: PING period (s); a PING unanswered for dead_after (s) declares the director
    lost. Resume: up to reconnect_attempts reconnects in a row without a token, the delay
    starting at reconnect_backoff (s), doubling to max_backoff.
    """

    def __init__(self, directors: Sequence[str], *, ca: str | None = None,
                 cert: str | None = None, key: str | None = None,
                 server_name: str = "localhost", verify_tls: bool = True,
                 connection_id: str | None = None, resume: bool = True,
                 keepalive: float = 0.5, dead_after: float = 2.0,
                 connect_timeout: float = 2.0, idle_timeout: float = 30.0,
                 reconnect_attempts: int = 10, reconnect_backoff: float = 0.1,
                 max_backoff: float = 2.0, max_frame: int = DEFAULT_MAX_BODY) -> None:
        if not directors:
            raise ValueError("directors: at least one HOST:PORT")
        self.directors = list(directors)
        self.connection_id = connection_id or random_connection_id()
        self.resume = resume
        self.keepalive = keepalive
        self.dead_after = dead_after
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_backoff = reconnect_backoff
        self.max_backoff = max_backoff
        self.max_frame = max_frame
        self.quic_handshakes = 0
        self.rebinds = 0
        self._tls = TlsOptions(ca=ca, cert=cert, key=key, server_name=server_name,
                               verify=verify_tls)
        self._index = 0
        self._conn: _Connection | None = None
        self._made: list[_Connection] = []  # connections whose sockets close() waits for
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def director(self) -> str:
        """The director the client is (or will next be) connected to."""
        return self.directors[self._index]

    async def connect(self) -> None:
        """Connects to the current director now (generate() would on first use).
        Raises Unavailable when the handshake fails."""
        await self._connection()

    async def close(self) -> None:
        """Closes the connection; open streams end with Unavailable."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._conn is not None:
            self._conn.mark_lost("closed by the client")
            self._conn = None
        for conn in self._made:  # every socket, the lost connections' too
            await conn.released()
        self._made.clear()

    async def rebind(self) -> int:
        """Moves the current connection to a new local UDP port (QUIC connection
        migration); streams carry on. Returns the new port."""
        conn = await self._connection()
        port = await _connection.rebind(conn)
        self.rebinds += 1
        return port

    def generate(self, prompt: str, max_tokens: int = 0, *,
                 params: Mapping[str, str] | None = None, model: str = "",
                 start_seq: int = 0, timeout: float | None = None, verify: bool = False,
                 on_migrated: Callable[[Migration], None] | None = None) -> Stream:
        """A Generate stream of tokens start_seq..max_tokens (0: unbounded, until the
        iteration stops). timeout (s): deadline of the whole stream. verify: check every
        token's text against the synthetic generator (VerificationError otherwise)."""
        request = director_pb2.GenerateRequest(prompt=prompt, max_tokens=max_tokens,
                                               params=dict(params or {}),
                                               start_seq=start_seq, model=model)
        return Stream(self, request, timeout=timeout, verify=verify, on_migrated=on_migrated)

    # --- connections -----------------------------------------------------------------

    async def _connection(self) -> _Connection:
        if self._closed:
            raise Unavailable("client closed")
        async with self._lock:
            if self._conn is not None:
                if self._conn.lost is None:
                    return self._conn
                self._lost(self._conn)  # that director is gone: the next one
            address = self.directors[self._index]
            try:
                conn = await _connection.connect(address, self._tls,
                                                 timeout=self.connect_timeout,
                                                 idle_timeout=self.idle_timeout,
                                                 max_body=self.max_frame)
            except (OSError, ConnectionError, asyncio.TimeoutError) as e:
                self._advance()
                raise Unavailable(f"connecting to {address}: {e or type(e).__name__}") from e
            self.quic_handshakes += 1
            self._conn = conn
            self._made.append(conn)
            if self.keepalive > 0:
                task = asyncio.get_running_loop().create_task(self._keepalive(conn))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return conn

    def _advance(self) -> None:
        self._index = (self._index + 1) % len(self.directors)

    def _lost(self, conn: _Connection) -> None:
        """A call saw `conn` lost: the next connection goes to the next director."""
        if self._conn is conn:
            self._conn = None
            self._advance()

    async def _keepalive(self, conn: _Connection) -> None:
        while conn.lost is None:
            await asyncio.sleep(self.keepalive)
            if conn.lost is not None:
                return
            try:
                await asyncio.wait_for(conn.ping(), self.dead_after)
            except (asyncio.TimeoutError, ConnectionError):
                conn.mark_lost(f"keep-alive unanswered for {self.dead_after:g} s")


@dataclass
class _Progress:
    """What a Stream has received, across calls."""

    expected: int
    stream_id: int | None = None
    ticket: director_pb2.ResumeTicket | None = None
    recent: list[str] = field(default_factory=list)  # texts since ticket.next_seq
    delivered: list[str] | None = None  # every text 1..expected-1 (bounded streams)
    delivered_bytes: int = 0


class Stream:
    """An async iterator of Tokens for one Generate stream (see Client.generate).

    After the iteration: `done` (the stream ended with Done), `finish_reason`,
    `prompt_tokens`, `tokens` (received), `migrations`, `resumes` (calls that continued
    it from a ticket), `interruptions` (the failures it carried on past), `stream_id`,
    `worker`.
    To stop early, aclose() it (or use `async with`): that cancels the call at once (§5);
    a stream dropped without aclose() is cancelled when it is garbage collected."""

    def __init__(self, client: Client, request: director_pb2.GenerateRequest, *,
                 timeout: float | None, verify: bool,
                 on_migrated: Callable[[Migration], None] | None) -> None:
        self.client = client
        self.request = request
        self.prompt = request.prompt
        self.max_tokens = request.max_tokens
        self.verify = verify
        self.on_migrated = on_migrated
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.connection_id = client.connection_id
        self.stream_id: int | None = None
        self.worker = ""
        self.tokens = 0
        self.migrations: list[Migration] = []
        self.resumes = 0
        self.interruptions: list[ConnswapError] = []  # each failure the stream carried on past
        self.done = False
        self.finish_reason = ""
        self.prompt_tokens = 0
        first = request.start_seq or 1
        self._progress = _Progress(expected=first)
        if request.max_tokens and first == 1 and request.max_tokens <= PREFIX_MAX_TOKENS:
            self._progress.delivered = []
        self._iter: AsyncIterator[Token] | None = None

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Token:
        if self._iter is None:
            self._iter = self._run()
        return await self._iter.__anext__()

    async def aclose(self) -> None:
        """Stops the stream (cancels the call if it is still open)."""
        if self._iter is not None:
            await self._iter.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def collect(self) -> list[Token]:
        """Every token of the stream (for bounded streams)."""
        return [t async for t in self]

    # --- one stream, any number of calls ---------------------------------------------

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _next_request(self) -> director_pb2.GenerateRequest:
        p = self._progress
        if p.ticket is None:
            request = director_pb2.GenerateRequest()
            request.CopyFrom(self.request)
            request.start_seq = p.expected
            return request
        resume = director_pb2.Resume(token=p.ticket.token, snapshot=p.ticket.snapshot,
                                     last_seq=p.expected - 1, recent=p.recent)
        if p.delivered is not None and p.delivered_bytes <= PREFIX_MAX_BYTES:
            resume.delivered.extend(p.delivered)
        return director_pb2.GenerateRequest(resume=resume)

    def _open(self, conn: _Connection, request: director_pb2.GenerateRequest) -> Call:
        header = rpc_pb2.CallHeader(method=GENERATE)
        header.metadata["connection-id"] = self.client.connection_id.encode()
        remaining = self._remaining()
        if remaining is not None:
            header.timeout_ms = max(1, math.ceil(remaining * 1000))
        call = conn.open_call()
        body = request.SerializeToString()
        call.send(encode_frame(Kind.HEADER, header.SerializeToString())
                  + encode_frame(Kind.MESSAGE, body), fin=True)
        return call

    async def _next_item(self, call: Call) -> bytes | End:
        remaining = self._remaining()
        if remaining is None:
            return await call.items.get()
        try:
            return await asyncio.wait_for(call.items.get(), max(remaining, 0))
        except asyncio.TimeoutError:
            call.cancel()
            raise DeadlineExceeded("the stream's deadline passed (client)") from None

    async def _run(self) -> AsyncIterator[Token]:
        client = self.client
        attempts = 0
        backoff = client.reconnect_backoff
        resuming = False
        while True:
            failure: ConnswapError
            lost = True  # the connection failed (not an answer from the director)
            try:
                conn = await client._connection()
            except Unavailable as e:
                failure = e
            else:
                call = self._open(conn, self._next_request())
                end: End | None = None
                got_token = False
                answered = False  # the call carried an item: a resume went through
                try:
                    pending: Migration | None = None
                    while True:
                        item = await self._next_item(call)
                        if isinstance(item, End):
                            end = item
                            break
                        if resuming and not answered:
                            self.resumes += 1
                        answered = True
                        token = self._on_item(item, pending, resuming and not got_token)
                        if isinstance(token, Migration):
                            pending = token
                        elif token is not None:
                            pending = None
                            got_token = True
                            yield token
                finally:
                    if call.ended is None:
                        call.cancel()
                if got_token:
                    attempts, backoff = 0, client.reconnect_backoff
                assert end is not None
                if end.code == StatusCode.OK:
                    if not self.done:
                        raise Internal("OK trailer without Done")
                    return
                failure = error_for(end.code, end.message)
                lost = end.local and end.code == StatusCode.UNAVAILABLE
                if lost:
                    client._lost(conn)
            if not isinstance(failure, Unavailable) or not client.resume:
                raise failure
            if self._progress.ticket is None and (self.tokens > 0 or not lost):
                # Nothing to resume from: a fresh start is only safe before any token,
                # and only worth it when the connection (not the director) failed.
                raise failure
            attempts += 1
            if attempts > client.reconnect_attempts:
                raise failure
            self.interruptions.append(failure)
            remaining = self._remaining()
            if remaining is not None and remaining <= backoff:
                raise DeadlineExceeded(f"the stream's deadline passed while reconnecting "
                                       f"after: {failure}")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, client.max_backoff)
            resuming = self._progress.ticket is not None

    def _on_item(self, body: bytes, pending: Migration | None,
                 resumed: bool) -> Token | Migration | None:
        item = director_pb2.GenerateItem()
        try:
            item.ParseFromString(body)
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError
            raise Internal(f"response does not decode: {e}") from e
        kind = item.WhichOneof("item")
        p = self._progress
        if kind == "assigned":
            a = item.assigned
            if p.stream_id is not None and a.stream_id != p.stream_id:
                raise Internal(f"resumed as stream {a.stream_id}, expected {p.stream_id}")
            p.stream_id = self.stream_id = a.stream_id
            self.connection_id = a.connection_id or self.connection_id
            self.worker = a.worker
        elif kind == "token":
            return self._on_token(item.token, pending, resumed)
        elif kind == "migrated":
            m = item.migrated
            migration = Migration(getattr(m, "from"), m.to, m.reason, m.resume_seq)
            self.migrations.append(migration)
            self.worker = m.to
            if self.on_migrated is not None:
                self.on_migrated(migration)
            return migration
        elif kind == "ticket":
            p.ticket = item.ticket
            keep = p.expected - item.ticket.next_seq
            p.recent = p.recent[len(p.recent) - keep:] if keep > 0 else []
        elif kind == "done":
            self.done = True
            self.finish_reason = item.done.finish_reason
            self.prompt_tokens = item.done.prompt_tokens
        else:
            raise Internal("empty or unknown GenerateItem")
        return None

    def _on_token(self, t: Any, pending: Migration | None, resumed: bool) -> Token:
        p = self._progress
        if t.seq != p.expected:
            raise Internal(f"token seq {t.seq} where {p.expected} was due "
                           "(a duplicate or a gap)")
        if self.verify and t.text != demo_token(self.prompt, t.seq):
            raise VerificationError(f"token {t.seq}: {t.text!r} is not the synthetic "
                                    f"generator's {demo_token(self.prompt, t.seq)!r}")
        p.expected += 1
        p.recent.append(t.text)
        if p.delivered is not None:
            p.delivered.append(t.text)
            p.delivered_bytes += len(t.text.encode())
        self.tokens += 1
        self.worker = t.worker or self.worker
        return Token(t.seq, t.text, t.worker, pending, resumed, t.emit_ns)
