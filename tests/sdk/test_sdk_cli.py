"""python -m connswap prints connswap-client's summary line, field for field, through a
worker failure (SIGKILL), and exits 0 when every stream verified."""

import re
import signal
import subprocess
import sys

from connswap_cluster import START_BUDGET, STREAM_BUDGET, program

FIELDS = ["connection.id", "streams", "tokens", "migrations", "lost", "duplicated",
          "out_of_order", "resumes", "rebinds", "quic_handshakes", "verified"]


def summary(line):
    assert line.startswith("summary "), line
    pairs = [p.split("=", 1) for p in line.split()[1:]]
    assert [k for k, _ in pairs] == FIELDS, line
    return dict(pairs)


def test_cli_summary_matches_connswap_client(cluster):
    cluster.start_director()
    cluster.start_worker("worker-b")
    cluster.start_worker("worker-a")
    args = ["--director", cluster.director.field("user"), "--tls-ca",
            str(cluster.certs / "ca.pem"), "--streams", "2", "--max-tokens", "60"]
    py = subprocess.Popen([sys.executable, "-m", "connswap", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    # Kill worker-a once it serves a stream of the Python client.
    assert cluster.director.process.wait_for_log("worker=worker-a", "worker assigned"), \
        cluster.logs()
    cluster.find_node("worker-a").process.signal(signal.SIGKILL)
    out, err = py.communicate(timeout=STREAM_BUDGET)
    assert py.returncode == 0, err
    ours = summary(out.strip().splitlines()[-1])
    assert ours["verified"] == "true" and ours["tokens"] == "120" and ours["lost"] == "0"
    assert ours["migrations"] == "1" and ours["quic_handshakes"] == "1"
    assert re.fullmatch(r"conn-[0-9a-f]{16}", ours["connection.id"])

    cpp = subprocess.run([program("client"), *args], capture_output=True, text=True,
                         timeout=START_BUDGET + STREAM_BUDGET)
    assert cpp.returncode == 0, cpp.stderr
    theirs = summary(cpp.stdout.strip().splitlines()[-1])
    assert {k: v for k, v in theirs.items() if k != "connection.id"} == \
        {**{k: v for k, v in ours.items() if k != "connection.id"}, "migrations": "0"}


def test_cli_rebinds_mid_stream(cluster):
    """--rebind-every-ms moves the client's UDP port while its streams run; every token
    still arrives once, on the one QUIC connection."""
    cluster.start_director()
    cluster.start_worker("worker-a")
    args = ["--director", cluster.director.field("user"), "--tls-ca",
            str(cluster.certs / "ca.pem"), "--streams", "3", "--max-tokens", "60",
            "--rebind-every-ms", "300"]
    py = subprocess.run([sys.executable, "-m", "connswap", *args], capture_output=True,
                        text=True, timeout=STREAM_BUDGET)
    assert py.returncode == 0, py.stderr
    ours = summary(py.stdout.strip().splitlines()[-1])
    assert ours["verified"] == "true" and ours["tokens"] == "180"
    assert int(ours["rebinds"]) >= 2 and ours["quic_handshakes"] == "1"
    assert ours["resumes"] == "0"
