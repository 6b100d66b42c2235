"""The director's status page in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) loads /status against a live cluster while a worker is
SIGKILLed mid-stream, and the DOM must show it: the worker's row turns lost (or
failed-hold), the stream's row shows one migration, and the live feed (the page's
JavaScript on /debug/events) lists the migration. A screenshot goes under the build dir
(status-page.png). Every wait is on a DOM condition (WebDriverWait), never a fixed sleep."""

import json
import os
import pathlib
import signal
import tempfile
import threading
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from connswap_cluster import STREAM_BUDGET, poll_until
import failover

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Without the background-networking flags Chromium dials out at start; on a closed network
# those connections are refused and slow everything down.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1000"]
TOKENS = 400  # x 25 ms = 10 s: the streams are still open when the page shows the migration
STREAMS = 3


def build_dir():
    """Where the screenshot goes: CONNSWAP_BUILD_DIR (run.sh sets it), else next to the
    director program (build/apps/director/connswap-director)."""
    if os.environ.get("CONNSWAP_BUILD_DIR"):
        return pathlib.Path(os.environ["CONNSWAP_BUILD_DIR"])
    return pathlib.Path(os.environ["CONNSWAP_DIRECTOR"]).resolve().parents[2]


@pytest.fixture
def browser():
    """Headless Chromium with a fresh profile in a temporary directory."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: scripts/setup.sh installs chromium and "
                        "chromium-driver", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="connswap-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.load(r)


def stream_completion(base, done):
    """One streamed completion of TOKENS tokens, read to the end (in a thread); its body
    goes to done["body"]."""
    body = json.dumps({"model": "connswap-synthetic", "prompt": "count slowly",
                       "max_tokens": TOKENS, "stream": True}).encode()
    request = urllib.request.Request(base + "/v1/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=STREAM_BUDGET) as r:
        done["body"] = r.read().decode()


def text_of(driver, css):
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, css))


def test_page_shows_a_killed_worker_and_the_migration_live(cluster, browser):
    failover.start_cluster(cluster, "sigkill", {"--http-addr": "127.0.0.1:0"})
    cluster.start_worker("worker-c")
    base = "http://" + cluster.director.field("http")
    wait = WebDriverWait(browser, STREAM_BUDGET)
    browser.get(base + "/status")
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-feed") == "open")
    assert browser.find_element(
        By.CSS_SELECTOR, 'tr[data-worker="worker-a"]').get_attribute("data-health") == "healthy"

    # STREAMS streams over the three workers; round robin puts the first on worker-a.
    answers = [{} for _ in range(STREAMS)]
    readers = [threading.Thread(target=stream_completion, args=(base, a), daemon=True)
               for a in answers]
    for r in readers:
        r.start()

    def placed():
        rows = get_json(base, "/debug/streams")["streams"]
        return len(rows) == STREAMS and all(s["tokens"] >= 6 for s in rows) and rows
    rows = poll_until(placed, STREAM_BUDGET)
    assert rows, "the streams did not start\n" + cluster.logs()
    on_a = {s["connection_id"] for s in rows if s["worker"] == "worker-a"}
    assert on_a, rows
    assert cluster.find_node("worker-a").process.signal(signal.SIGKILL)

    # The live feed (JavaScript, EventSource on /debug/events) shows the migration...
    wait.until(lambda d: "worker-a \u2192 worker-" in text_of(d, "#feed li.migration"))
    # ...and the refreshed tables show the dead worker and one migration on each stream
    # worker-a had (none on the others).
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-worker="worker-a"]')
               .get_attribute("data-health") in ("lost", "failed-hold"))
    want = {c: ("1" if c in on_a else "0") for c in (s["connection_id"] for s in rows)}

    def migrations_shown(d):
        got = {}
        for tr in d.find_elements(By.CSS_SELECTOR, "#streams tbody tr[data-connection]"):
            cell = tr.find_element(By.CSS_SELECTOR, "td.migrations")
            got[tr.get_attribute("data-connection")] = cell.get_attribute("data-count")
        return got == want
    wait.until(migrations_shown)
    for tr in browser.find_elements(By.CSS_SELECTOR, "#streams tbody tr[data-connection]"):
        if tr.get_attribute("data-connection") in on_a:
            assert "worker-a \u2192 worker-" in tr.text, tr.text
    count = browser.find_element(By.ID, "stream-count").text
    assert f"showing {STREAMS} of {STREAMS} streams" in count, count
    wait.until(lambda d: "worker worker-a: healthy \u2192" in text_of(d, "#feed li.worker"))
    shot = build_dir() / "status-page.png"
    assert browser.save_screenshot(str(shot)), shot
    print(f"screenshot: {shot}")

    for r in readers:
        r.join(STREAM_BUDGET)
    for a in answers:
        assert a.get("body", "").count("data: ") >= TOKENS, "a stream did not complete"
