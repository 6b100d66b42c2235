"""Fixtures for the Python e2e tests: a real connswap cluster per test (connswap_cluster.py)
and the official openai SDK pointed at its director's HTTP front, with a tap that keeps the
raw bytes of every answer so a test can see what the SDK skipped (SSE comment lines)."""

import pathlib
import sys

import httpx2
import openai
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "pysupport"))

from cluster_fixtures import cluster, started_cluster  # noqa: E402,F401 (fixture)
from connswap_cluster import STREAM_BUDGET  # noqa: E402


@pytest.fixture(scope="module")
def api_cluster(tmp_path_factory):
    """One director (with its HTTP front) and one worker, shared by a module's tests."""
    yield from started_cluster(tmp_path_factory, "api", {"--http-addr": "127.0.0.1:0"})


class Tap(httpx2.BaseTransport):
    """An HTTP transport that passes everything through and keeps each response's raw
    body bytes, in order, in `bodies`."""

    def __init__(self):
        self.inner = httpx2.HTTPTransport()
        self.bodies = []

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        body = bytearray()
        self.bodies.append(body)

        class Recorded(httpx2.SyncByteStream):
            def __iter__(self):
                for chunk in response.stream:
                    body.extend(chunk)
                    yield chunk

            def close(self):
                response.stream.close()

        return httpx2.Response(response.status_code, headers=response.headers,
                               stream=Recorded(), extensions=response.extensions)

    def close(self):
        self.inner.close()


def sdk_client(cluster):
    """openai.OpenAI on the director's HTTP front; no retries (a retry would hide a failure
    the director should have handled), no proxy from the environment. Returns (client, tap)."""
    tap = Tap()
    http = openai.DefaultHttpxClient(transport=tap, trust_env=False)
    client = openai.OpenAI(base_url=f"http://{cluster.director.field('http')}/v1",
                           api_key="unused", max_retries=0, timeout=STREAM_BUDGET,
                           http_client=http)
    return client, tap
