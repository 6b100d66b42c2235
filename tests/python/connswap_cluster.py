"""A real connswap cluster for the Python e2e tests, as tests/e2e/cluster.{h,cc} starts one.

connswap-certs makes a CA and certificates in a temporary directory; connswap-director and
connswap-worker run as child processes on 127.0.0.1 port 0, each writing its bound
addresses to a --ready-file, with the same short intervals as the C++ fixture. Nothing
sleeps for a fixed time: every wait polls a file or a log with a deadline.

The programs' paths come from the environment (CTest sets them): CONNSWAP_DIRECTOR,
CONNSWAP_WORKER, CONNSWAP_CERTS, or else CONNSWAP_BUILD_DIR/apps/<role>/connswap-<role>.
"""

import ctypes
import os
import pathlib
import signal
import subprocess
import time

# Budgets for things that normally take milliseconds; generous for ASan on a busy host.
START_BUDGET = 20.0
STREAM_BUDGET = 40.0

# The C++ fixture's timing: tokens every 25 ms; heartbeats lost after 1.5 s; a stall is
# declared after 500 ms without a token.
TOKEN_INTERVAL_MS = 25
DIRECTOR_DEFAULTS = {
    "--heartbeat-timeout-ms": "1500",
    "--min-stall-ms": "500",
    "--first-token-timeout-ms": "2000",
    "--failure-hold-ms": "5000",
    "--worker-wait-ms": "2000",
    "--log-level": "info",
}
WORKER_DEFAULTS = {
    "--token-interval-ms": str(TOKEN_INTERVAL_MS),
    "--fail-after-ms": "0",
    "--fail-mode": "none",
    "--log-level": "info",
}

_PR_SET_PDEATHSIG = 1


def program(role):
    """The path of connswap-<role> from the environment; fails clearly when not set."""
    path = os.environ.get("CONNSWAP_" + role.upper())
    if not path and os.environ.get("CONNSWAP_BUILD_DIR"):
        path = os.path.join(os.environ["CONNSWAP_BUILD_DIR"], "apps", role, "connswap-" + role)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"connswap-{role} not found: set CONNSWAP_{role.upper()} or CONNSWAP_BUILD_DIR "
            f"(got {path!r}); tests/python/run.sh does"
        )
    return path


def poll_until(predicate, budget, interval=0.01):
    """Calls predicate() until it is true or `budget` seconds passed; its last value."""
    deadline = time.monotonic() + budget
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def _die_with_parent():
    # In the child before exec: SIGKILL it when pytest dies, so no program outlives a run
    # that CTest timed out.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Process:
    """One child program; its stdout and stderr go to files in the cluster's directory."""

    def __init__(self, name, args, log_dir):
        self.name = name
        self.out_path = log_dir / (name + ".out")
        self.err_path = log_dir / (name + ".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=log_dir,
                preexec_fn=_die_with_parent)

    def running(self):
        return self.popen.poll() is None

    def signal(self, signum):
        """Sends `signum` if the process still runs; whether it did."""
        if not self.running():
            return False
        self.popen.send_signal(signum)
        return True

    def wait_exit(self, budget):
        """The exit code (negative: killed by that signal), or None if still running."""
        try:
            return self.popen.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            return None

    def stderr_text(self):
        return self.err_path.read_text(errors="replace")

    def stderr_lines(self, *needles):
        """The stderr lines that contain every needle."""
        return [line for line in self.stderr_text().splitlines()
                if all(n in line for n in needles)]

    def wait_for_log(self, *needles, count=1, budget=START_BUDGET):
        """Waits until stderr has `count` lines with every needle (False on exit or timeout)."""
        def seen():
            found = len(self.stderr_lines(*needles)) >= count
            return found or not self.running()
        poll_until(seen, budget)
        return len(self.stderr_lines(*needles)) >= count


def log_field(line, key):
    """The value of ` key=` in a log line ("" if absent)."""
    needle = " " + key + "="
    pos = line.find(needle)
    if pos < 0:
        return ""
    value = line[pos + len(needle):]
    for stop in " :":
        value = value.split(stop, 1)[0]
    return value


class Node:
    """A started director or worker and what its ready-file said (user=, mgmt=, http=, pid=)."""

    def __init__(self, label, process, ready):
        self.label = label
        self.process = process
        self.ready = ready

    def field(self, key):
        return self.ready.get(key, "")


def _read_ready(path):
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return fields if "pid" in fields else None


class Cluster:
    """A director and workers in `directory`, stopped by shutdown()."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.certs = self.dir / "certs"
        self.nodes = []
        self.all = []
        self._names = {}
        self.director = None
        certs = self._spawn("certs", [program("certs"), "--out", str(self.certs)])
        code = certs.wait_exit(START_BUDGET)
        if code != 0:
            raise RuntimeError(f"connswap-certs: exit {code}\n{certs.stderr_text()}")

    def _spawn(self, name, args):
        n = self._names.get(name, 0)
        self._names[name] = n + 1
        process = Process(name if n == 0 else f"{name}-{n + 1}", args, self.dir)
        self.all.append(process)
        return process

    def _start_node(self, label, args):
        n = self._names.get(label, 0)
        ready_path = self.dir / ((label if n == 0 else f"{label}-{n + 1}") + ".ready")
        process = self._spawn(label, args + ["--ready-file", str(ready_path)])
        ready = poll_until(lambda: _read_ready(ready_path) or not process.running(),
                           START_BUDGET)
        if not isinstance(ready, dict):
            raise RuntimeError(f"{label} wrote no ready-file\n{self.logs()}")
        node = Node(label, process, ready)
        self.nodes.append(node)
        return node

    def _tls(self, name, certs=None):
        """--tls-* for the role certificate `name` (director, worker) from connswap-certs."""
        c = certs or self.certs
        return {"--tls-cert": str(c / f"{name}.pem"), "--tls-key": str(c / f"{name}-key.pem"),
                "--tls-ca": str(self.certs / "ca.pem")}

    @staticmethod
    def _args(path, *flag_maps):
        merged = {}
        for flags in flag_maps:
            merged.update(flags)
        args = [path]
        for key, value in merged.items():
            args += [key, value]
        return args

    def make_key_file(self, name):
        """A cluster key file made by connswap-keys (resume tickets, SSE event ids)."""
        path = self.dir / name
        keys = self._spawn("keys", [program("keys"), "--out", str(path), "--id", name])
        code = keys.wait_exit(START_BUDGET)
        if code != 0:
            raise RuntimeError(f"connswap-keys: exit {code}\n{keys.stderr_text()}")
        return path

    def start_director(self, flags=None):
        """Starts a director on port 0 (flags win over the defaults) and waits for it."""
        base = {"--user-addr": "127.0.0.1:0", "--mgmt-addr": "127.0.0.1:0",
                **self._tls("director")}
        args = self._args(program("director"), DIRECTOR_DEFAULTS, base, flags or {})
        self.director = self._start_node("director", args)
        return self.director

    def start_worker(self, label, flags=None):
        """Starts a worker, waits for its ready-file and for the director to register it."""
        base = {"--label": label, "--user-addr": "127.0.0.1:0", "--mgmt-addr": "127.0.0.1:0",
                "--director-mgmt-addr": self.director.field("mgmt"), **self._tls("worker")}
        node = self._start_node(label, self._args(program("worker"), WORKER_DEFAULTS, base,
                                                  flags or {}))
        if not self.director.process.wait_for_log(f"worker={label} ", "worker registered"):
            raise RuntimeError(f"{label} did not register\n{self.logs()}")
        return node

    def find_node(self, label):
        """The node last started with `label`."""
        return next(n for n in reversed(self.nodes) if n.label == label)

    def shutdown(self):
        """Stops what still runs: workers, then the director, by SIGTERM (a stopped one gets
        SIGCONT first), each to exit 0 within START_BUDGET; then checks every stderr for a
        sanitizer report. A list of problems, empty when all is well. Idempotent."""
        problems = []
        order = [n for n in self.nodes if n.label != "director"]
        order += [n for n in self.nodes if n.label == "director"]
        for node in order:
            p = node.process
            if not p.running():
                continue
            p.signal(signal.SIGCONT)
            p.signal(signal.SIGTERM)
            code = p.wait_exit(START_BUDGET)
            if code != 0:
                if code is None:
                    p.popen.kill()
                    p.popen.wait()
                problems.append(f"{p.name} on SIGTERM: exit {code}\n{p.stderr_text()}")
        for p in self.all:
            if p.running():
                p.popen.kill()
                p.popen.wait()
            for report in ("Sanitizer", "runtime error:"):
                if p.stderr_lines(report):
                    problems.append(f"{p.name} has a sanitizer report:\n{p.stderr_text()}")
                    break
        return problems

    def logs(self):
        """The last 40 stderr lines of every process, for a failure message."""
        out = []
        for p in self.all:
            out.append(f"----- {p.name} (stderr, last 40 lines)")
            if p.err_path.exists():  # a process that never started has none
                out += p.stderr_text().splitlines()[-40:]
        return "\n".join(out)
