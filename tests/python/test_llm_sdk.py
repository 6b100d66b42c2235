"""The official openai SDK against real model servers: two workers, each the sidecar of its
own llama.cpp server (tests/llm: llama-cpp-python serving a model generated for the test).
The server of the worker serving a streamed completion is SIGKILLed mid-answer; the SDK
reads on without an error, and the text equals, byte for byte, what the SDK gets straight
from a server without connswap. Needs the llm venv (CTest's fixture llm): its Python is
CONNSWAP_LLM_PYTHON, tests/llm is CONNSWAP_LLM_DIR."""

import os
import pathlib
import signal
import subprocess

import openai
import pytest

from conftest import sdk_client
from connswap_cluster import START_BUDGET, poll_until

TOKENS = 400  # ~0.4 s at ~1 ms a token; the kill comes after 30
PROMPT = "The quick brown fox"
MODEL = "connswap-tiny"


def llm_paths():
    python, folder = os.environ.get("CONNSWAP_LLM_PYTHON"), os.environ.get("CONNSWAP_LLM_DIR")
    if not python or not folder:
        pytest.fail("CONNSWAP_LLM_PYTHON / CONNSWAP_LLM_DIR not set: run through CTest "
                    "(fixture llm makes the venv with scripts/llm_env.sh)", pytrace=False)
    return python, pathlib.Path(folder)


class LlamaServer:
    """tests/llm/serve.py on 127.0.0.1 port 0 with `model`, killed by close()."""

    def __init__(self, directory, name, model):
        python, folder = llm_paths()
        self.ready = directory / f"{name}.ready"
        with open(directory / f"{name}.err", "wb") as err:
            self.popen = subprocess.Popen(
                [python, str(folder / "serve.py"), "--model", str(model), "--ready-file",
                 str(self.ready), "--alias", MODEL],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        assert poll_until(lambda: self.ready.exists() or self.popen.poll() is not None,
                          START_BUDGET * 3), f"{name} did not start"
        fields = dict(line.split("=", 1) for line in self.ready.read_text().splitlines())
        self.url = f"http://{fields['addr']}/v1"

    def close(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()


@pytest.fixture
def llama(tmp_path):
    """Two servers of one generated model, killed after the test."""
    python, folder = llm_paths()
    model = tmp_path / "tiny.gguf"
    subprocess.run([python, str(folder / "make_model.py"), str(model)], check=True,
                   stdout=subprocess.DEVNULL)
    servers = [LlamaServer(tmp_path, f"llama-{n}", model) for n in ("a", "b")]
    yield servers
    for s in servers:
        s.close()


def worker_flags(server):
    return {"--backend": "openai", "--backend-url": server.url, "--model": MODEL,
            "--backend-param": "repeat_penalty=1.0", "--backend-health-interval-ms": "200"}


def test_sdk_stream_survives_its_model_server_killed(cluster, llama):
    a, b = llama
    # The reference: the SDK straight to a server, greedy (repeat_penalty is llama.cpp's).
    direct = openai.OpenAI(base_url=b.url, api_key="unused", max_retries=0)
    want = direct.completions.create(model=MODEL, prompt=PROMPT, max_tokens=TOKENS,
                                     temperature=0, extra_body={"repeat_penalty": 1.0})
    want_text = want.choices[0].text
    assert len(want_text) == TOKENS

    cluster.start_director({"--http-addr": "127.0.0.1:0", "--worker-wait-ms": "20000"})
    workers = [cluster.start_worker(label, worker_flags(server))
               for label, server in (("worker-a", a), ("worker-b", b))]
    for w in workers:
        assert w.process.wait_for_log("model server healthy"), cluster.logs()

    client, tap = sdk_client(cluster)
    stream = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=TOKENS,
                                       temperature=0, stream=True,
                                       stream_options={"include_usage": True})
    text, finish, usage, killed = "", None, None, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.text or ""
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
        if killed is None and len(text) >= 30:
            assigned = cluster.director.process.stderr_lines("worker assigned")[-1]
            killed = a if "worker=worker-a" in assigned else b
            killed.popen.send_signal(signal.SIGKILL)
    assert killed is not None
    assert text == want_text
    assert finish == "length"
    assert usage is not None and usage.completion_tokens == TOKENS
    raw = bytes(tap.bodies[-1]).decode()
    migrations = [line for line in raw.splitlines() if line.startswith(": migrated")]
    assert len(migrations) == 1, raw[-2000:]
    assert "reason=error" in migrations[0]
