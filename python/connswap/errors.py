"""Status codes (docs/PROTOCOL.md §4) and the typed exceptions a call ends with."""

from __future__ import annotations

import enum


class StatusCode(enum.IntEnum):
    """gRPC's codes, with the same numbers (§4). Unknown numbers read as UNKNOWN."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def of(cls, number: int) -> StatusCode:
        """The code for a wire number; UNKNOWN for a number this client does not know."""
        try:
            return cls(number)
        except ValueError:
            return cls.UNKNOWN


class ConnswapError(Exception):
    """A call that did not end OK: `code` (StatusCode) and `message` (for humans)."""

    code: StatusCode = StatusCode.UNKNOWN

    def __init__(self, message: str = "", code: StatusCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(f"{self.code.name}: {message}" if message else self.code.name)


class Cancelled(ConnswapError):
    code = StatusCode.CANCELLED


class Unknown(ConnswapError):
    code = StatusCode.UNKNOWN


class InvalidArgument(ConnswapError):
    code = StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(ConnswapError):
    code = StatusCode.DEADLINE_EXCEEDED


class NotFound(ConnswapError):
    code = StatusCode.NOT_FOUND


class AlreadyExists(ConnswapError):
    code = StatusCode.ALREADY_EXISTS


class PermissionDenied(ConnswapError):
    code = StatusCode.PERMISSION_DENIED


class ResourceExhausted(ConnswapError):
    code = StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(ConnswapError):
    code = StatusCode.FAILED_PRECONDITION


class Aborted(ConnswapError):
    code = StatusCode.ABORTED


class OutOfRange(ConnswapError):
    code = StatusCode.OUT_OF_RANGE


class Unimplemented(ConnswapError):
    code = StatusCode.UNIMPLEMENTED


class Internal(ConnswapError):
    code = StatusCode.INTERNAL


class Unavailable(ConnswapError):
    code = StatusCode.UNAVAILABLE


class DataLoss(ConnswapError):
    code = StatusCode.DATA_LOSS


class Unauthenticated(ConnswapError):
    code = StatusCode.UNAUTHENTICATED


class VerificationError(ConnswapError):
    """verify=True saw a token whose text is not the synthetic generator's (DATA_LOSS)."""

    code = StatusCode.DATA_LOSS


_BY_CODE: dict[StatusCode, type[ConnswapError]] = {
    cls.code: cls for cls in (
        Cancelled, Unknown, InvalidArgument, DeadlineExceeded, NotFound, AlreadyExists,
        PermissionDenied, ResourceExhausted, FailedPrecondition, Aborted, OutOfRange,
        Unimplemented, Internal, Unavailable, DataLoss, Unauthenticated)
}


def error_for(code: int, message: str = "") -> ConnswapError:
    """The typed exception for a non-OK status number."""
    status = StatusCode.of(code)
    return _BY_CODE.get(status, ConnswapError)(message, status)
