"""Fixtures for the Python e2e tests: a real connswap cluster per test (connswap_cluster.py)
and the official openai SDK pointed at its director's HTTP front, with a tap that keeps the
raw bytes of every answer so a test can see what the SDK skipped (SSE comment lines)."""

import httpx2
import openai
import pytest

from connswap_cluster import STREAM_BUDGET, Cluster


def _stop(cluster):
    problems = cluster.shutdown()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def cluster(tmp_path):
    """A Cluster in a fresh temporary directory (certificates made, nothing started);
    shut down after the test, which then fails on an unclean exit or a sanitizer report."""
    c = Cluster(tmp_path)
    yield c
    _stop(c)


@pytest.fixture(scope="module")
def api_cluster(tmp_path_factory):
    """One director (with its HTTP front) and one worker, shared by a module's tests."""
    c = Cluster(tmp_path_factory.mktemp("api"))
    try:
        c.start_director({"--http-addr": "127.0.0.1:0"})
        c.start_worker("worker-a")
    except Exception:
        c.shutdown()
        raise
    yield c
    _stop(c)


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
