"""The Grafana dashboard (deploy/grafana/connswap.json) against a live cluster: a real
Prometheus (Debian's, installed by scripts/setup.sh) scrapes a director and two workers (one
with a model-server back end, whose metrics only such workers export), then evaluates every
query of the dashboard. A query that does not parse, a metric that no live /metrics has, a
label matcher or a `by` label that no series carries fails the test, so the dashboard cannot
rot silently when a metric is renamed."""

import importlib.util
import json
import pathlib
import re
import shutil
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest

from connswap_cluster import START_BUDGET, Process, poll_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"

# Prometheus scrapes every second; a rate over 10 s then has several samples after ~3 s.
SCRAPE = "1s"
RATE_WINDOW = "10s"
SELECTOR = re.compile(r"(connswap_[a-z0-9_]+)(\{[^}]*\})?")
MATCHER = re.compile(r'([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
BY = re.compile(r"\bby \(([^)]*)\)")


def load_builder():
    spec = importlib.util.spec_from_file_location("build_dashboard",
                                                  GRAFANA / "build_dashboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dashboard_queries(dashboard):
    """(panel title, expr) for every target of every panel."""
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A Prometheus server in `directory` scraping `jobs` ({job: [HOST:PORT, ...]})."""

    def __init__(self, directory, jobs):
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("prometheus is not installed: run scripts/setup.sh", pytrace=False)
        config = {"global": {"scrape_interval": SCRAPE, "evaluation_interval": SCRAPE},
                  "scrape_configs": [{"job_name": job, "static_configs": [{"targets": t}]}
                                     for job, t in jobs.items()]}
        path = directory / "prometheus.yml"
        path.write_text(json.dumps(config))  # JSON is YAML
        # Prometheus has no port 0 with a way to learn the port: take a free one, and try
        # again with another if something took it in between.
        for attempt in range(3):
            self.url = f"http://127.0.0.1:{free_port()}"
            self.process = Process(f"prometheus-{attempt}", [
                binary, f"--config.file={path}", f"--storage.tsdb.path={directory / 'tsdb'}",
                f"--web.listen-address={self.url[len('http://'):]}", "--log.level=warn"],
                directory)
            if poll_until(lambda: self._ready() or not self.process.running(), START_BUDGET) \
                    and self.process.running():
                return
            self.stop()
        pytest.fail(f"prometheus did not start:\n{self.process.stderr_text()}", pytrace=False)

    def _ready(self):
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:  # 400 with a JSON body for a bad query
            return json.load(e)

    def query(self, expr):
        """The instant-query result list; fails the test on an error (a bad query)."""
        answer = self.api("query", query=expr)
        assert answer.get("status") == "success", f"{expr}: {answer}"
        return answer["data"]["result"]

    def stop(self):
        if self.process.running():
            self.process.popen.terminate()
            if self.process.wait_exit(START_BUDGET) is None:
                self.process.popen.kill()
                self.process.popen.wait()


@pytest.fixture
def scraped(cluster, tmp_path):
    """A director, a synthetic worker and a model-server worker (its server is a closed
    port, so it exports the back-end metrics and reports the server unhealthy), all with
    --metrics-addr, and a Prometheus that has scraped each of them at least twice.
    Yields (prometheus, instances): the `instance` of each dashboard variable's targets."""
    metrics = {"--metrics-addr": "127.0.0.1:0"}
    director = cluster.start_director({"--http-addr": "127.0.0.1:0", **metrics})
    synthetic = cluster.start_worker("worker-a", metrics)
    model = cluster.start_worker("worker-m", {
        **metrics, "--backend": "openai",
        "--backend-url": f"http://127.0.0.1:{free_port()}/v1"})
    workers = [synthetic.field("metrics"), model.field("metrics")]
    prometheus = Prometheus(tmp_path, {"director": [director.field("metrics")],
                                       "worker": workers})

    def scraped_twice():
        targets = prometheus.query("count_over_time(up[1m]) >= 2 and up == 1")
        return len(targets) == 1 + len(workers)

    try:
        assert poll_until(scraped_twice, START_BUDGET), prometheus.api("targets")
        yield prometheus, {"director": [director.field("metrics")], "worker": workers}
    finally:
        prometheus.stop()


def bind(expr, instances):
    """The query as Grafana sends it for this cluster (each variable: all its instances, as
    a regex, its backslashes escaped again for the PromQL string, as Grafana does)."""
    expr = expr.replace("$__rate_interval", RATE_WINDOW).replace("$__range", "1m")
    for name, values in instances.items():
        regex = "|".join(re.escape(v) for v in values)
        expr = expr.replace(f"${name}", regex.replace("\\", "\\\\"))
    return expr


def test_the_json_is_what_the_builder_writes():
    builder = load_builder()
    assert (GRAFANA / "connswap.json").read_text() == builder.render(), \
        "deploy/grafana/connswap.json is stale: run deploy/grafana/build_dashboard.py"


def test_every_dashboard_query_finds_its_series_in_a_live_scrape(scraped):
    prometheus, instances = scraped
    dashboard = json.loads((GRAFANA / "connswap.json").read_text())
    queries = dashboard_queries(dashboard)
    assert len(queries) >= 40
    problems = []
    checked = set()
    for title, raw in queries:
        expr = bind(raw, instances)
        prometheus.query(expr)  # parses and evaluates
        selectors = {m.group(0) for m in SELECTOR.finditer(expr)}
        metrics = {m.group(1) for m in SELECTOR.finditer(expr)}
        # One metric per query keeps the `by` check below exact.
        assert len(metrics) == 1, f"{title}: {raw} names {sorted(metrics)}"
        labels = {label.strip() for group in BY.findall(expr) for label in group.split(",")}
        for selector in selectors:
            for label in labels | {""}:
                if (selector, label) in checked:
                    continue
                checked.add((selector, label))
                grouped = f"count by ({label}) ({selector})" if label else f"count({selector})"
                series = prometheus.query(grouped)
                if not series:
                    problems.append(f"{title}: no series for {selector}")
                elif label and not any(s["metric"].get(label) for s in series):
                    problems.append(f"{title}: no series of {selector} has label {label}")
    assert not problems, "\n".join(problems)


def test_each_variable_lists_exactly_its_role(scraped):
    """The director variable lists the director, the worker one both workers: a query's
    instance filter then picks the right processes."""
    prometheus, instances = scraped
    dashboard = json.loads((GRAFANA / "connswap.json").read_text())
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    assert {v["name"] for v in variables} == set(instances)
    for variable in variables:
        metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)",
                                     variable["query"]["query"]).groups()
        found = {s["metric"][label] for s in prometheus.query(f"count by ({label}) ({metric})")}
        assert found == set(instances[variable["name"]]), variable["name"]
