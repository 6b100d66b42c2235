"""The connswap/1 frame layer (docs/PROTOCOL.md §2): varints, frames, a streaming decoder.

Pure functions and a sans-IO decoder: no sockets, no asyncio. Errors are FrameError with the
status code the spec assigns to them (§4.1 for a server, §4.2 for a client).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import StatusCode

#: Default frame body limit (§2): 4 MiB.
DEFAULT_MAX_BODY = 4 * 1024 * 1024

_VARINT_MAX = (1 << 62) - 1


class Kind(enum.IntEnum):
    """The frame kind byte (§2)."""

    HEADER = 0x01
    MESSAGE = 0x02
    TRAILER = 0x03


class FrameError(Exception):
    """Bytes that break §2; `code` is the status a receiver ends the call with."""

    def __init__(self, code: StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode_varint(value: int) -> bytes:
    """The minimal QUIC variable-length integer (RFC 9000 §16) for 0 <= value < 2**62."""
    if value < 0 or value > _VARINT_MAX:
        raise ValueError(f"varint out of range: {value}")
    if value < 1 << 6:
        return value.to_bytes(1, "big")
    if value < 1 << 14:
        return (value | 0x4000).to_bytes(2, "big")
    if value < 1 << 30:
        return (value | 0x8000_0000).to_bytes(4, "big")
    return (value | 0xC000_0000_0000_0000).to_bytes(8, "big")


def decode_varint(data: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int] | None:
    """(value, bytes used) of the varint at data[pos:], or None while incomplete."""
    if pos >= len(data):
        return None
    size = 1 << (data[pos] >> 6)
    if pos + size > len(data):
        return None
    value = data[pos] & 0x3F
    for b in data[pos + 1:pos + size]:
        value = (value << 8) | b
    return value, size


def encode_frame(kind: Kind, body: bytes) -> bytes:
    """One frame: varint(1 + len(body)), the kind byte, the body."""
    return encode_varint(1 + len(body)) + bytes([kind]) + body


@dataclass(frozen=True)
class Frame:
    """A decoded frame: its kind byte (maybe unknown) and body."""

    kind: int
    body: bytes


class FrameDecoder:
    """Splits a byte stream into frames. feed() returns the frames completed so far.

    A body above `max_body` raises FrameError as soon as the length is read (the body is
    never buffered); so does `length` 0. `error_code` is what the caller ends the call with
    for a malformed frame: INVALID_ARGUMENT on a server, INTERNAL on a client (§4.1, §4.2).
    """

    def __init__(self, max_body: int = DEFAULT_MAX_BODY,
                 error_code: StatusCode = StatusCode.INTERNAL) -> None:
        self._buf = bytearray()
        self._max_body = max_body
        self._error_code = error_code

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames: list[Frame] = []
        while True:
            head = decode_varint(self._buf)
            if head is None:
                return frames
            length, used = head
            if length == 0:
                raise FrameError(self._error_code, "frame length 0")
            if length - 1 > self._max_body:
                raise FrameError(StatusCode.RESOURCE_EXHAUSTED,
                                 f"frame body of {length - 1} bytes over the limit of "
                                 f"{self._max_body}")
            if len(self._buf) < used + length:
                return frames
            kind = self._buf[used]
            body = bytes(self._buf[used + 1:used + length])
            del self._buf[:used + length]
            frames.append(Frame(kind, body))

    def pending(self) -> int:
        """Bytes of an incomplete frame held (nonzero at FIN: FIN inside a frame)."""
        return len(self._buf)
