#!/usr/bin/env python3
"""Runs the real llama-cpp-python OpenAI-compatible server on 127.0.0.1, port 0.

    serve.py --model M.gguf --ready-file PATH [--alias NAME] [--seed N]

The app is llama_cpp.server's own (create_app with its settings classes, as
`python -m llama_cpp.server` builds it); only the listening socket is ours, bound to port 0
before the app starts so the port can be reported. Once the model is loaded and uvicorn
serves, PATH receives `key=value` lines like the connswap programs' ready files (written to
a temporary file, then renamed): port, addr (127.0.0.1:PORT), model (the alias clients
send), pid. SIGTERM or SIGINT: a graceful shutdown, exit 0.

Settings the tests rely on: one request at a time (interrupt_requests False, else a second
request cuts a running stream short), one thread (deterministic, and 2 cores are shared),
n_ctx 512 (the model's), a fixed seed.
"""

import argparse
import contextlib
import os
import signal
import socket
import sys

import uvicorn
from llama_cpp.server.app import create_app
from llama_cpp.server.settings import ModelSettings, ServerSettings


def write_ready_file(path, fields):
    """Writes key=value lines atomically: a reader sees no file or the whole file."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as out:
        out.writelines(f"{key}={value}\n" for key, value in fields.items())
    os.replace(tmp, path)


class Server(uvicorn.Server):
    """uvicorn's server, writing the ready file once it serves, exiting 0 on a signal."""

    def __init__(self, config, ready_file, fields):
        super().__init__(config)
        self.ready_file = ready_file
        self.fields = fields

    async def startup(self, sockets=None):
        await super().startup(sockets)
        if not self.should_exit:
            write_ready_file(self.ready_file, self.fields)

    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn's own version re-raises the signal after its graceful shutdown, so the
        # process would die by SIGTERM; the tests expect a clean exit 0 instead.
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the .gguf file (make_model.py)")
    parser.add_argument("--ready-file", required=True, help="where to write port= etc.")
    parser.add_argument("--alias", default="connswap-tiny", help="the model's name in the API")
    parser.add_argument("--seed", type=int, default=42, help="the sampler's seed")
    return parser.parse_args()


def main():
    args = parse_args()
    # Bound before the model loads: the port is ours from the start, nobody can take it.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    server_settings = ServerSettings(host="127.0.0.1", port=port, interrupt_requests=False)
    model_settings = ModelSettings(
        model=args.model,
        model_alias=args.alias,
        n_ctx=512,
        n_threads=1,
        n_threads_batch=1,
        seed=args.seed,
        verbose=False,
    )
    # Loads the model (create_app builds the LlamaProxy synchronously).
    app = create_app(server_settings=server_settings, model_settings=[model_settings])
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    fields = {"port": port, "addr": f"127.0.0.1:{port}", "model": args.alias, "pid": os.getpid()}
    Server(config, args.ready_file, fields).run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main())
