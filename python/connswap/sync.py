"""A thin synchronous wrapper: SyncClient runs a Client on its own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from .client import Client, Stream, Token


class SyncClient:
    """Client's blocking twin: `with SyncClient([...], ca=...) as c: for tok in
    c.generate(...)`. Takes Client's arguments. Not thread-safe; one loop per instance."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._client: Client = self._loop.run_until_complete(self._make(*args, **kwargs))

    @staticmethod
    async def _make(*args: Any, **kwargs: Any) -> Client:
        return Client(*args, **kwargs)

    @property
    def client(self) -> Client:
        """The wrapped asyncio Client (its counters: quic_handshakes, rebinds, ...)."""
        return self._client

    def __enter__(self) -> SyncClient:
        self._loop.run_until_complete(self._client.connect())
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._client.close())
            self._loop.close()

    def generate(self, prompt: str, max_tokens: int = 0, **kwargs: Any) -> Iterator[Token]:
        """Client.generate as a blocking iterator (same arguments)."""
        stream: Stream = self._client.generate(prompt, max_tokens, **kwargs)
        try:
            while True:
                try:
                    yield self._loop.run_until_complete(stream.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            if not self._loop.is_closed():
                self._loop.run_until_complete(stream.aclose())
