#!/usr/bin/env python3
"""Writes connswap.json, the Grafana dashboard for the Prometheus metrics of connswap's
director and workers (their --metrics-addr). Edit the panels here, run this script, and
commit both files; tests/python/test_grafana_dashboard.py fails when the JSON differs from
what this script writes, and evaluates every query of it against a real Prometheus scraping
a live cluster, so a renamed metric or label breaks the suite rather than the dashboard.

    deploy/grafana/build_dashboard.py            rewrite connswap.json
    deploy/grafana/build_dashboard.py --check    exit 1 if connswap.json is stale

Variables: the Prometheus data source, and the director and worker instances (their
`instance` label; every query filters on them, so one Grafana shows several clusters).
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "connswap.json"

D = 'instance=~"$director"'  # the director's series
W = 'instance=~"$worker"'  # the workers' series
RATE = "$__rate_interval"


def target(expr, legend, ref):
    return {"datasource": {"type": "prometheus", "uid": "${datasource}"},
            "expr": expr, "legendFormat": legend, "refId": ref}


class Layout:
    """Places panels left to right on Grafana's 24-column grid, rows of equal height."""

    def __init__(self):
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_height = 0
        self.next_id = 1

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False,
                            "id": self._id(), "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        panel["datasource"] = {"type": "prometheus", "uid": "${datasource}"}
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)

    def _newline(self):
        self.y += self.row_height
        self.x = 0
        self.row_height = 0

    def _id(self):
        self.next_id += 1
        return self.next_id - 1


def targets(queries):
    return [target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)]


def stat(title, description, expr, unit="short", decimals=None):
    defaults = {"unit": unit}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {"type": "stat", "title": title, "description": description,
            "targets": targets([(expr, "")]),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto"}}


def series(title, description, queries, unit="short", stack=False):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0,
              "showPoints": "never", "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return {"type": "timeseries", "title": title, "description": description,
            "targets": targets(queries),
            "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom",
                                   "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def heatmap(title, description, expr):
    panel = {"type": "heatmap", "title": title, "description": description,
             "targets": targets([(expr, "{{le}}")]),
             "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
             "options": {"calculate": False, "yAxis": {"unit": "s"},
                         "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges"},
                         "tooltip": {"show": True, "yHistogram": True}}}
    panel["targets"][0]["format"] = "heatmap"
    return panel


def quantiles(metric, selector, by=""):
    """p50/p90/p99 of a histogram over the rate window."""
    group = f"le{', ' + by if by else ''}"
    legend = f"{{{{{by}}}}} " if by else ""
    return [(f"histogram_quantile({q}, sum by ({group}) "
             f"(rate({metric}_bucket{{{selector}}}[{RATE}])))", f"{legend}p{int(q * 100)}")
            for q in (0.5, 0.9, 0.99)]


def overview(g):
    g.row("Overview")
    g.add(stat("Active streams", "Client streams open on the director(s).",
               f"sum(connswap_active_streams{{{D}}})"), 4, 4)
    g.add(stat("Tokens/s", "Tokens forwarded to clients by the director(s).",
               f"sum(rate(connswap_tokens_forwarded_total{{{D}}}[{RATE}]))", "short", 0), 4, 4)
    g.add(stat("Workers active", "Workers the director can place new streams on.",
               f'sum(connswap_workers{{{D}, state="active"}})'), 4, 4)
    g.add(stat("Workers lost or failed", "Workers in failure hold or lost (heartbeat, "
               "connection).", f'sum(connswap_workers{{{D}, state=~"failed|lost"}})'), 4, 4)
    g.add(stat("Migrations (1 h)", "Streams moved to another worker in the last hour.",
               f"sum(increase(connswap_migrations_total{{{D}}}[1h]))", "short", 0), 4, 4)
    g.add(stat("Failover gap p99", "Last token of a failed worker to the first of the next "
               "(over the dashboard's time range).",
               "histogram_quantile(0.99, sum by (le) (increase("
               f"connswap_failover_gap_seconds_bucket{{{D}}}[$__range])))", "s"), 4, 4)


def traffic(g):
    g.row("Streams and tokens")
    g.add(series("Streams and connections", "Open client streams, QUIC client connections "
                 "and HTTP connections on the director.",
                 [(f"sum(connswap_active_streams{{{D}}})", "streams"),
                  (f"sum(connswap_user_connections{{{D}}})", "QUIC connections"),
                  (f"sum(connswap_http_connections{{{D}}})", "HTTP connections")]), 8, 8)
    g.add(series("Tokens/s: director and workers", "Forwarded by the director vs sent by "
                 "each worker (a worker's tokens after a failure are not forwarded twice).",
                 [(f"sum(rate(connswap_tokens_forwarded_total{{{D}}}[{RATE}]))", "director"),
                  (f"sum by (instance) (rate(connswap_worker_tokens_total{{{W}}}[{RATE}]))",
                   "{{instance}}")]), 8, 8)
    g.add(series("Streams started/s", "Generate streams opened on the director, and HTTP "
                 "completions among them.",
                 [(f"sum(rate(connswap_streams_total{{{D}}}[{RATE}]))", "streams"),
                  (f"sum(rate(connswap_http_completions_total{{{D}}}[{RATE}]))",
                   "HTTP completions"),
                  (f"sum(rate(connswap_resumes_total{{{D}}}[{RATE}]))", "resumed")]), 8, 8)
    g.add(series("HTTP responses/s", "The OpenAI-compatible front: requests, completions "
                 "that ended with a finish_reason, client errors, server errors.",
                 [(f"sum(rate(connswap_http_requests_total{{{D}}}[{RATE}]))", "requests"),
                  (f"sum(rate(connswap_http_completions_ok_total{{{D}}}[{RATE}]))",
                   "completions ok"),
                  (f"sum(rate(connswap_http_responses_4xx_total{{{D}}}[{RATE}]))", "4xx"),
                  (f"sum(rate(connswap_http_responses_5xx_total{{{D}}}[{RATE}]))", "5xx"),
                  (f"sum(rate(connswap_http_client_gone_total{{{D}}}[{RATE}]))",
                   "client gone")]), 12, 8)
    g.add(series("Director memory in streams", "Bytes queued for clients (all streams) and "
                 "in migration prefixes; the largest single loop-turn write.",
                 [(f"sum(connswap_buffered_bytes{{{D}}})", "buffered"),
                  (f"sum(connswap_prefix_bytes{{{D}}})", "prefixes"),
                  (f"max(connswap_max_turn_bytes{{{D}}})", "max turn")], "bytes"), 12, 8)


def failover(g):
    g.row("Failover")
    g.add(series("Migrations by reason", "Streams moved to another worker per second, by "
                 "reason (error, connection_lost, stall, heartbeat_lost, drain, move, ...).",
                 [(f"sum by (reason) (rate(connswap_migrations_total{{{D}}}[{RATE}]))",
                   "{{reason}}")], "short", True), 8, 8)
    g.add(series("Failover gap", "Time from the last token of a failed worker to the first "
                 "token of the next, as quantiles.",
                 quantiles("connswap_failover_gap_seconds", D), "s"), 8, 8)
    g.add(heatmap("Failover gap distribution", "Every failover's gap, by histogram bucket.",
                  f"sum by (le) (increase(connswap_failover_gap_seconds_bucket{{{D}}}"
                  f"[{RATE}]))"), 8, 8)
    g.add(series("Liveness probes", "Probes of silent streams' workers: sent, unanswered "
                 "(the worker's streams moved), extended (slow answer), and verdicts held "
                 "back because no other worker was usable.",
                 [(f"sum(rate(connswap_worker_probes_total{{{D}}}[{RATE}]))", "probes"),
                  (f"sum(rate(connswap_worker_probes_unanswered_total{{{D}}}[{RATE}]))",
                   "unanswered"),
                  (f"sum(rate(connswap_worker_probes_extended_total{{{D}}}[{RATE}]))",
                   "extended"),
                  (f"sum(rate(connswap_worker_probes_no_alternative_total{{{D}}}[{RATE}]))",
                   "no alternative")]), 12, 8)
    g.add(series("Resumes and drains", "Streams resumed from tickets (after a director "
                 "restart or reconnect), tickets issued, drain batches.",
                 [(f"sum(rate(connswap_resumes_total{{{D}}}[{RATE}]))", "resumed"),
                  (f"sum(rate(connswap_resume_tickets_total{{{D}}}[{RATE}]))", "tickets"),
                  (f"sum(rate(connswap_drain_batches_total{{{D}}}[{RATE}]))",
                   "drain batches")]), 12, 8)


def workers(g):
    g.row("Workers")
    g.add(series("Workers by state (director's view)", "active, unavailable (full or "
                 "refusing), draining, failed (failure hold), lost.",
                 [(f"sum by (state) (connswap_workers{{{D}}})", "{{state}}")], "short", True),
          8, 8)
    g.add(series("Streams per worker", "Generate streams each worker serves now.",
                 [(f"sum by (instance) (connswap_worker_streams{{{W}}})", "{{instance}}")]),
          8, 8)
    g.add(series("Worker availability", "1 while a worker accepts new streams.",
                 [(f"max by (instance) (connswap_worker_available{{{W}}})", "{{instance}}")]),
          8, 8)
    g.add(series("Worker streams by outcome", "Per second over all workers: accepted, "
                 "refused, done, failed, cancelled.",
                 [(f"sum by (outcome) (rate(connswap_worker_streams_total{{{W}}}[{RATE}]))",
                   "{{outcome}}")]), 12, 8)
    g.add(series("Heartbeats and registrations", "Heartbeats acknowledged by the director "
                 "and registrations, per worker; worker failures (simulated, --fail-mode).",
                 [(f"sum by (instance) (rate(connswap_worker_heartbeats_total{{{W}}}"
                   f"[{RATE}]))", "{{instance}} heartbeats"),
                  (f"sum by (instance) (increase(connswap_worker_registrations_total{{{W}}}"
                   f"[{RATE}]))", "{{instance}} registrations"),
                  (f"sum by (instance) (increase(connswap_worker_failures_total{{{W}}}"
                   f"[{RATE}]))", "{{instance}} failures")]), 12, 8)


def limits(g):
    g.row("Limits and refusals")
    g.add(series("Refusals by limit", "Requests, streams and connections refused by a "
                 "limit, by reason (docs/RELIABILITY.md).",
                 [(f"sum by (reason) (rate(connswap_requests_refused_total{{{D}}}[{RATE}]))",
                   "{{reason}}")], "short", True), 8, 8)
    g.add(series("Authentication refusals", "MGMT peers without a certificate, without the "
                 "role, or claiming a label bound to another certificate.",
                 [(f"sum by (instance, reason) (rate(connswap_auth_refused_total[{RATE}]))",
                   "{{instance}} {{reason}}")]), 8, 8)
    g.add(series("Other refusals and anomalies", "QUIC Retries sent and bad tokens, HTTP "
                 "connections refused and malformed requests, resumes refused, streams paused "
                 "by the buffer budget, prefixes truncated, illegal state transitions (0).",
                 [(f"sum(rate(connswap_quic_retries_total{{{D}}}[{RATE}]))", "QUIC retries"),
                  (f"sum(rate(connswap_quic_invalid_tokens_total{{{D}}}[{RATE}]))",
                   "invalid tokens"),
                  (f"sum(rate(connswap_http_connections_refused_total{{{D}}}[{RATE}]))",
                   "HTTP refused"),
                  (f"sum(rate(connswap_http_bad_requests_total{{{D}}}[{RATE}]))",
                   "HTTP bad requests"),
                  (f"sum(rate(connswap_resumes_refused_total{{{D}}}[{RATE}]))",
                   "resumes refused"),
                  (f"sum(rate(connswap_streams_paused_by_budget_total{{{D}}}[{RATE}]))",
                   "paused by budget"),
                  (f"sum(rate(connswap_prefixes_truncated_total{{{D}}}[{RATE}]))",
                   "prefixes truncated"),
                  (f"sum(increase(connswap_illegal_transitions_total{{{D}}}[{RATE}]))",
                   "illegal transitions")]), 8, 8)
    g.add(series("Backpressure", "Client streams paused now because their send queue is "
                 "full (--send-queue-bytes; their worker calls wait), and how often a queue "
                 "filled: director toward clients, each worker toward the director.",
                 [(f"sum(connswap_blocked_streams{{{D}}})", "blocked streams"),
                  (f"sum(rate(connswap_send_queue_full_total{{{D}}}[{RATE}]))",
                   "director queue full"),
                  (f"sum by (instance) (rate(connswap_send_queue_full_total{{{W}}}[{RATE}]))",
                   "{{instance}} queue full")]), 24, 6)
    g.add(series("Status page", "The director's status page and /debug/* answers, refusals "
                 "without an operator certificate (--http-status operator), open "
                 "/debug/events subscribers and the events their bounded queues dropped.",
                 [(f"sum(rate(connswap_http_status_pages_total{{{D}}}[{RATE}]))", "answers"),
                  (f"sum(rate(connswap_http_status_refused_total{{{D}}}[{RATE}]))",
                   "refused (403)"),
                  (f"sum(connswap_http_status_subscribers{{{D}}})", "feed subscribers"),
                  (f"sum(rate(connswap_http_status_events_dropped_total{{{D}}}[{RATE}]))",
                   "feed events dropped")]), 24, 6)


def model_servers(g):
    g.row("Model servers (workers with --backend openai)")
    g.add(series("Model server health", "1 if the worker's last health probe of its model "
                 "server passed.",
                 [(f"max by (instance) (connswap_backend_healthy{{{W}}})", "{{instance}}")]),
          6, 8)
    g.add(series("Time to first token", "Request sent to the model server -> its first "
                 "token.", quantiles("connswap_backend_first_token_seconds", W), "s"), 6, 8)
    g.add(series("Token gap", "Time between consecutive tokens from the model server.",
                 quantiles("connswap_backend_token_gap_seconds", W), "s"), 6, 8)
    g.add(series("Model server errors and continuations", "Failures by kind, failed health "
                 "probes, and streams continued mid-answer on this worker (seq > 1).",
                 [(f"sum by (kind) (rate(connswap_backend_errors_total{{{W}}}[{RATE}]))",
                   "{{kind}}"),
                  (f"sum(rate(connswap_backend_probes_failed_total{{{W}}}[{RATE}]))",
                   "probes failed"),
                  (f"sum(rate(connswap_backend_continuations_total{{{W}}}[{RATE}]))",
                   "continuations")]), 6, 8)


def variable(name, label, query):
    return {"name": name, "label": label, "type": "query",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": query, "refId": name}, "definition": query,
            "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "sort": 1}


def dashboard():
    g = Layout()
    overview(g)
    traffic(g)
    failover(g)
    workers(g)
    limits(g)
    model_servers(g)
    return {
        "title": "connswap",
        "uid": "connswap",
        "description": "connswap director and workers: streams, tokens, failovers, worker "
                       "health, refusals (generated by deploy/grafana/build_dashboard.py)",
        "tags": ["connswap"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"name": "datasource", "label": "Prometheus", "type": "datasource",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1},
            variable("director", "Director", "label_values(connswap_active_streams, instance)"),
            variable("worker", "Worker", "label_values(connswap_worker_streams, instance)"),
        ]},
        "panels": g.panels,
    }


def render():
    return json.dumps(dashboard(), indent=2, sort_keys=False) + "\n"


def main(argv):
    text = render()
    if argv[1:] == ["--check"]:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run {__file__}", file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
