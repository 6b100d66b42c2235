"""One QUIC connection to a director over aioquic, and the calls (streams) on it.

_Connection is aioquic's QuicConnectionProtocol with the connswap/1 call rules of
docs/PROTOCOL.md §1-§5 on top: each call is one client-initiated bidirectional stream, its
received frames decoded as they arrive and handed to the call's queue. Loss of the
connection (CONNECTION_CLOSE, idle timeout, keep-alive PINGs unanswered) ends every open
call with UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from ._names import name_matches
from .errors import StatusCode
from .v1 import rpc_pb2
from .wire import DEFAULT_MAX_BODY, FrameDecoder, FrameError, Kind, encode_frame

ALPN = "connswap/1"

# Linux socket options (not all named by the socket module).
_IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
_IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)

# QUIC application error codes on call streams (§5).
APP_NO_ERROR = 0x0
APP_CANCELLED = 0x1
APP_INTERNAL = 0x2
APP_SHUTTING_DOWN = 0x3

# How long a closing connection may take to drain before its socket is closed anyway (s).
CLOSE_WAIT = 1.0


def status_for_app_code(code: int) -> StatusCode:
    """The status a RESET_STREAM / STOP_SENDING code ends a call with (§5)."""
    return {APP_INTERNAL: StatusCode.INTERNAL,
            APP_SHUTTING_DOWN: StatusCode.UNAVAILABLE}.get(code, StatusCode.CANCELLED)


@dataclass(frozen=True)
class End:
    """How a call ended: its status, from a TRAILER or concluded locally (§4.2)."""

    code: StatusCode
    message: str
    local: bool = False


class Call:
    """One call's receiving side: `items` yields response bodies (bytes), then an End."""

    def __init__(self, conn: _Connection, stream_id: int, max_body: int) -> None:
        self.conn = conn
        self.stream_id = stream_id
        self.items: asyncio.Queue[bytes | End] = asyncio.Queue()
        self.ended: End | None = None
        self._decoder = FrameDecoder(max_body, StatusCode.INTERNAL)
        self._fin_sent = False

    def send(self, data: bytes, fin: bool) -> None:
        self.conn._quic.send_stream_data(self.stream_id, data, end_stream=fin)
        self._fin_sent = self._fin_sent or fin
        self.conn.transmit()

    def cancel(self, code: int = APP_CANCELLED) -> None:
        """Abandons the call (§5): RESET_STREAM and STOP_SENDING with `code`."""
        if self.ended is None:
            self._end(End(StatusCode.CANCELLED, "cancelled by the client", local=True))
        self.conn._drop(self.stream_id)
        if self.conn.lost is not None:
            return
        try:
            if not self._fin_sent:
                self.conn._quic.reset_stream(self.stream_id, code)
            self.conn._quic.stop_stream(self.stream_id, code)
        except Exception:  # noqa: BLE001 - the stream may be gone already
            pass
        self.conn.transmit()

    def _end(self, end: End) -> None:
        if self.ended is None:
            self.ended = end
            self.items.put_nowait(end)

    def _fail_locally(self, code: StatusCode, message: str) -> None:
        """A local failure (§4.2): end the call, then abandon the stream as in §5."""
        self._end(End(code, message, local=True))
        self.cancel()

    def on_data(self, data: bytes, fin: bool) -> None:
        if self.ended is not None:
            return
        try:
            frames = self._decoder.feed(data)
        except FrameError as e:
            self._fail_locally(e.code, e.message)
            return
        for frame in frames:
            if frame.kind == Kind.MESSAGE:
                self.items.put_nowait(frame.body)
            elif frame.kind == Kind.TRAILER:
                status = rpc_pb2.Status()
                try:
                    status.ParseFromString(frame.body)
                except Exception:  # noqa: BLE001 - protobuf's DecodeError
                    self._fail_locally(StatusCode.INTERNAL, "trailer does not decode")
                    return
                self._end(End(StatusCode.of(status.code), status.message))
                if not fin:  # nothing follows the trailer (§1); we are done with the stream
                    self.conn._drop(self.stream_id)
                return
            else:
                self._fail_locally(StatusCode.INTERNAL,
                                   f"unexpected frame kind 0x{frame.kind:02x} from the server")
                return
        if fin:
            self._fail_locally(StatusCode.INTERNAL,
                               "FIN inside a frame" if self._decoder.pending()
                               else "FIN without a TRAILER")

    def on_reset(self, code: int) -> None:
        self._end(End(status_for_app_code(code), f"stream reset by the server (code {code})"))

    def on_stop_sending(self, code: int) -> None:
        # STOP_SENDING(0): the server answered early and reads no more; keep reading (§4.1).
        if code != APP_NO_ERROR:
            self._end(End(status_for_app_code(code), f"STOP_SENDING from the server ({code})"))


class _Connection(QuicConnectionProtocol):
    """aioquic's protocol, dispatching stream events to Calls; see the module comment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[int, Call] = {}
        self.lost: str | None = None
        self.max_body = DEFAULT_MAX_BODY
        self._releaser: asyncio.Task[None] | None = None

    def open_call(self) -> Call:
        if self.lost is not None:
            raise ConnectionError(self.lost)
        stream_id = self._quic.get_next_available_stream_id()
        call = Call(self, stream_id, self.max_body)
        self.calls[stream_id] = call
        return call

    def _drop(self, stream_id: int) -> None:
        self.calls.pop(stream_id, None)

    def mark_lost(self, reason: str) -> None:
        """Every open call ends UNAVAILABLE (§5, connection loss); the connection closes."""
        if self.lost is not None:
            return
        self.lost = reason
        for call in list(self.calls.values()):
            call._end(End(StatusCode.UNAVAILABLE, f"connection lost: {reason}", local=True))
        self.calls.clear()
        waiter = self._connected_waiter
        if waiter is not None and not waiter.done():
            self._connected_waiter = None
            waiter.set_exception(ConnectionError(reason))
        try:
            self.close(error_code=0, reason_phrase=reason)
        except Exception:  # noqa: BLE001 - closing a dead connection is best effort
            pass
        self._releaser = asyncio.get_running_loop().create_task(self._release())

    async def _release(self) -> None:
        # The socket goes once the CONNECTION_CLOSE is out and aioquic says the connection
        # is over (or after CLOSE_WAIT, for a peer that never answers): nothing else would.
        try:
            await asyncio.wait_for(self._closed.wait(), CLOSE_WAIT)
        except asyncio.TimeoutError:
            pass
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._transport is not None:
                self._transport.close()

    async def released(self) -> None:
        """Waits until a lost connection's socket is closed."""
        if self._releaser is not None:
            await asyncio.shield(self._releaser)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for our peer (IP_RECVERR, _udp_socket): port unreachable means the
        # director is gone, so the connection is lost now rather than at the keep-alive.
        if isinstance(exc, ConnectionRefusedError):
            self.mark_lost("ECONNREFUSED (the director's port is closed)")

    def quic_event_received(self, event: events.QuicEvent) -> None:
        if isinstance(event, events.StreamDataReceived):
            call = self.calls.get(event.stream_id)
            if call is not None:
                call.on_data(event.data, event.end_stream)
        elif isinstance(event, events.StreamReset):
            call = self.calls.pop(event.stream_id, None)
            if call is not None:
                call.on_reset(event.error_code)
        elif isinstance(event, events.StopSendingReceived):
            call = self.calls.get(event.stream_id)
            if call is not None:
                call.on_stop_sending(event.error_code)
        elif isinstance(event, events.ConnectionTerminated):
            reason = event.reason_phrase or f"closed with error 0x{event.error_code:x}"
            self.mark_lost(reason)


@dataclass
class TlsOptions:
    """Certificate verification (on by default) and the optional client certificate."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str = "localhost"
    verify: bool = True


def _configuration(tls: TlsOptions, idle_timeout: float) -> QuicConfiguration:
    # No server_name: aioquic verifies the chain only; _names checks the name (see there).
    config = QuicConfiguration(is_client=True, alpn_protocols=[ALPN],
                               server_name=None, idle_timeout=idle_timeout,
                               verify_mode=ssl.CERT_REQUIRED if tls.verify else ssl.CERT_NONE)
    if tls.ca:
        config.load_verify_locations(cafile=tls.ca)
    if tls.cert:
        config.load_cert_chain(tls.cert, tls.key)
    return config


def _udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        # Report ICMP errors (port unreachable: ECONNREFUSED) on this unconnected socket,
        # for IPv6 and for IPv4-mapped peers.
        for level, option in ((socket.IPPROTO_IPV6, _IPV6_RECVERR), (socket.IPPROTO_IP,
                                                                       _IP_RECVERR)):
            try:
                sock.setsockopt(level, option, 1)
            except OSError:
                pass
        sock.bind(("::", 0, 0, 0))
    except OSError:
        sock.close()
        raise
    return sock


async def _resolve(address: str) -> tuple[Any, ...]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"director address {address!r} is not HOST:PORT")
    host = host.strip("[]")
    infos = await asyncio.get_running_loop().getaddrinfo(host, int(port),
                                                         type=socket.SOCK_DGRAM)
    addr: tuple[Any, ...] = tuple(infos[0][4])
    if len(addr) == 2:  # IPv4: the socket is IPv6 (dual stack), so use the mapped form
        addr = ("::ffff:" + str(addr[0]), addr[1], 0, 0)
    return addr


async def connect(address: str, tls: TlsOptions, *, timeout: float, idle_timeout: float,
                  max_body: int) -> _Connection:
    """A handshaken connection to `address` (HOST:PORT), or ConnectionError / TimeoutError."""
    loop = asyncio.get_running_loop()
    addr = await _resolve(address)
    quic = QuicConnection(configuration=_configuration(tls, idle_timeout))
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Connection(quic), sock=_udp_socket())
    conn = protocol
    conn.max_body = max_body
    try:
        conn.connect(addr)
        await asyncio.wait_for(conn.wait_connected(), timeout)
        peer = conn._quic.tls._peer_certificate
        if tls.verify and (peer is None or not name_matches(peer, tls.server_name)):
            raise ConnectionError(f"the director's certificate is not for {tls.server_name!r}")
    except BaseException as e:
        why = conn.lost  # the CONNECTION_CLOSE's reason, when the server sent one
        conn.mark_lost(f"handshake failed: {e!r}")
        transport.close()
        if why and isinstance(e, ConnectionError):
            raise ConnectionError(f"handshake failed: {why}") from e
        raise
    return conn


async def rebind(conn: _Connection) -> int:
    """Moves the connection to a new local UDP port (QUIC connection migration) and returns
    it: packets leave from a fresh socket with a fresh connection id; the server validates
    the new path."""
    loop = asyncio.get_running_loop()
    old = conn._transport
    sock = _udp_socket()
    port = int(sock.getsockname()[1])
    await loop.create_datagram_endpoint(lambda: conn, sock=sock)
    if old is not None:
        old.close()
    conn.change_connection_id()
    conn.transmit()
    return port
