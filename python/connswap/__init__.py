"""connswap: a Python client for connswap's native QUIC protocol (docs/PROTOCOL.md).

    async with connswap.Client(["127.0.0.1:61000"], ca="certs/ca.pem") as c:
        async for tok in c.generate("hello", max_tokens=60):
            print(tok.seq, tok.text, tok.worker)

Streams survive worker failover (the director migrates them) and the loss of a director
(the client resumes from its latest ticket on the next director). Statuses are typed
exceptions (Unavailable, DeadlineExceeded, ...).
"""

from .client import Client, Migration, Stream, Token, random_connection_id
from .errors import (Aborted, AlreadyExists, Cancelled, ConnswapError, DataLoss,
                     DeadlineExceeded, FailedPrecondition, Internal, InvalidArgument,
                     NotFound, OutOfRange, PermissionDenied, ResourceExhausted, StatusCode,
                     Unauthenticated, Unavailable, Unimplemented, Unknown, VerificationError,
                     error_for)
from .generator import demo_token
from .sync import SyncClient

__all__ = [
    "Aborted", "AlreadyExists", "Cancelled", "Client", "ConnswapError", "DataLoss",
    "DeadlineExceeded", "FailedPrecondition", "Internal", "InvalidArgument", "Migration",
    "NotFound", "OutOfRange", "PermissionDenied", "ResourceExhausted", "StatusCode", "Stream",
    "SyncClient", "Token", "Unauthenticated", "Unavailable", "Unimplemented", "Unknown",
    "VerificationError", "demo_token", "error_for", "random_connection_id",
]
