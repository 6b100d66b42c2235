"""python -m connswap: connswap-client in Python. Streams Generate calls through the
director(s) on one QUIC connection, verifies every token (exactly once, in order, the
synthetic generator's text) across migrations and director losses, and prints
connswap-client's summary line on stdout. Exit status: 0 verified, 1 not, 2 bad usage.

    python -m connswap --director 127.0.0.1:61000 --tls-ca certs/ca.pem --streams 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from dataclasses import dataclass

from .client import Client, Stream
from .errors import ConnswapError, DeadlineExceeded

EXIT_RUNTIME = 1
EXIT_USAGE = 2


def _env(name: str, default: str) -> str:
    return os.environ.get("CONNECTION_SWAP_CLIENT_" + name, default)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m connswap", description=__doc__.split("\n\n")[0])
    p.add_argument("--director", default=os.environ.get("CONNECTION_SWAP_DIRECTOR_TARGET",
                                                        "127.0.0.1:61000"),
                   help="director USER address(es) HOST:PORT[,HOST:PORT...]")
    p.add_argument("--streams", type=int, default=int(_env("STREAMS", "1")))
    p.add_argument("--max-tokens", type=int, default=int(_env("MAX_TOKENS", "60")),
                   help="tokens per stream (0: unbounded)")
    p.add_argument("--prompt", default=_env("PROMPT", "hello"))
    p.add_argument("--connection-id", default=_env("CONNECTION_ID", ""),
                   help="sent as metadata; default a random conn-XXXX")
    p.add_argument("--timeout-ms", type=int, default=int(_env("TIMEOUT_MS", "0")),
                   help="deadline per stream; 0: none")
    p.add_argument("--no-resume", action="store_true",
                   default=bool(os.environ.get("CONNECTION_SWAP_CLIENT_NO_RESUME")))
    p.add_argument("--reconnect-attempts", type=int,
                   default=int(_env("RECONNECT_ATTEMPTS", "10")))
    p.add_argument("--reconnect-backoff-ms", type=int,
                   default=int(_env("RECONNECT_BACKOFF_MS", "100")))
    p.add_argument("--keepalive-ms", type=int, default=int(_env("KEEPALIVE_MS", "500")))
    p.add_argument("--rebind-every-ms", type=int, default=int(_env("REBIND_EVERY_MS", "0")))
    p.add_argument("--tls-ca", default=os.environ.get("CONNECTION_SWAP_TLS_CA",
                                                      "certs/ca.pem"))
    p.add_argument("--server-name", default=_env("SERVER_NAME", "localhost"))
    args = p.parse_args(argv)
    if args.streams < 1:
        p.error("--streams: must be at least 1")
    if args.reconnect_backoff_ms <= 0:
        p.error("--reconnect-backoff-ms: must be > 0")
    return args


@dataclass
class Tally:
    """One stream's result, in connswap-client's terms."""

    tokens: int = 0
    migrations: int = 0
    resumes: int = 0
    lost: int = 0
    verified: bool = False


async def run_stream(client: Client, args: argparse.Namespace, index: int) -> Tally:
    timeout = args.timeout_ms / 1000 if args.timeout_ms else None
    stream: Stream = client.generate(args.prompt, args.max_tokens, timeout=timeout, verify=True)
    tally = Tally()
    ended_by_client = False
    try:
        async for _ in stream:
            pass
    except DeadlineExceeded as e:
        ended_by_client = args.max_tokens == 0
        if not ended_by_client:
            print(f"stream {index}: {e}", file=sys.stderr)
    except asyncio.CancelledError:
        ended_by_client = args.max_tokens == 0
    except ConnswapError as e:
        print(f"stream {index}: {e}", file=sys.stderr)
    tally.tokens = stream.tokens
    tally.migrations = len(stream.migrations)
    tally.resumes = stream.resumes
    if args.max_tokens:
        tally.lost = max(0, args.max_tokens - stream.tokens)
        tally.verified = stream.done and tally.lost == 0
    else:
        tally.verified = ended_by_client and stream.tokens > 0
    return tally


async def rebinder(client: Client, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await client.rebind()
        except ConnswapError:
            pass


def summary(client: Client, tallies: list[Tally]) -> str:
    verified = bool(tallies) and all(t.verified for t in tallies)
    return (f"summary connection.id={client.connection_id} streams={len(tallies)} "
            f"tokens={sum(t.tokens for t in tallies)} "
            f"migrations={sum(t.migrations for t in tallies)} "
            f"lost={sum(t.lost for t in tallies)} duplicated=0 out_of_order=0 "
            f"resumes={sum(t.resumes for t in tallies)} rebinds={client.rebinds} "
            f"quic_handshakes={client.quic_handshakes} "
            f"verified={'true' if verified else 'false'}")


async def amain(args: argparse.Namespace) -> int:
    client = Client(args.director.split(","), ca=args.tls_ca, server_name=args.server_name,
                    connection_id=args.connection_id or None, resume=not args.no_resume,
                    keepalive=args.keepalive_ms / 1000,
                    reconnect_attempts=args.reconnect_attempts,
                    reconnect_backoff=args.reconnect_backoff_ms / 1000)
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(run_stream(client, args, i)) for i in range(args.streams)]
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: [t.cancel() for t in tasks])
    extra = []
    if args.rebind_every_ms > 0:
        extra.append(loop.create_task(rebinder(client, args.rebind_every_ms / 1000)))
    tallies = list(await asyncio.gather(*tasks))
    for task in extra:
        task.cancel()
    await client.close()
    line = summary(client, tallies)
    print(line, flush=True)
    return 0 if all(t.verified for t in tallies) else EXIT_RUNTIME


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
