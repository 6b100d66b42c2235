"""Cluster fixtures shared by the pytest suites tests/python (openai SDK) and tests/sdk
(connswap SDK). A suite's conftest.py puts this folder and tests/python on sys.path and
imports `cluster` and `started_cluster` from here; pytest then finds `cluster` there."""

import pytest

from connswap_cluster import Cluster


def stop(cluster):
    """Shuts `cluster` down; fails the test on an unclean exit or a sanitizer report."""
    problems = cluster.shutdown()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def cluster(tmp_path):
    """A Cluster in a fresh temporary directory (certificates made, nothing started);
    shut down after the test, which then fails on an unclean exit or a sanitizer report.
    The processes' last stderr lines are printed at teardown: pytest shows them with a
    failed test only (its "Captured stdout teardown"), whatever raised."""
    c = Cluster(tmp_path)
    yield c
    print(c.logs())
    stop(c)


def started_cluster(tmp_path_factory, name, director_flags=None):
    """Generator for a module-scoped fixture: one director (with `director_flags`) and one
    worker, worker-a, in a fresh directory `name`; shut down (see stop) after the module."""
    c = Cluster(tmp_path_factory.mktemp(name))
    try:
        c.start_director(director_flags or {})
        c.start_worker("worker-a")
    except Exception:
        c.shutdown()
        raise
    yield c
    stop(c)
