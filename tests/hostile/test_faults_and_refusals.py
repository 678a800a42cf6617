"""Network faults and forbidden addresses, end to end through `dealwire ingest` against a real loopback server.

Each failing feed costs bounded time, is recorded in `feeds` with its reason, and the good feed is still stored.
"""
from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import funding_feed
from tests.feedserver import FeedServer
from tests.hostile.conftest import feed_rows, query, run_dealwire, settings_file


def closed_port() -> int:
    with socket.socket() as s:  # a free port, released so that nothing listens on it
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    server = FeedServer()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def faults(server, dealwire_env, tmp_path_factory):
    """(result, db, seconds, {name: url}) of one run over a good feed and every kind of fault."""
    urls = {
        "good": server.route("/good", body=funding_feed()),
        "slow": server.route("/slow", body=funding_feed(), delay_s=5),
        "drip": server.route("/drip", body=funding_feed(), drip=(64, 3.0)),
        "reset": server.reset_mid_body("/reset"),
        "429": server.retry_after("/limited", seconds=1),
        "500": server.route("/error", body=b"boom", status=500),
        "404": server.url("/missing"),
        "loop": (server.redirect("/a", "/b"), server.redirect("/b", "/a"))[1],
        "gzip-bomb": server.gzip_bomb("/bomb", decompressed_size=64 * 1024 * 1024),
        "tls-closed-port": f"https://127.0.0.1:{closed_port()}/feed",
        "tls-to-plain-http": f"https://127.0.0.1:{server.port}/good",
    }
    folder = tmp_path_factory.mktemp("faults")
    db = folder / "faults.duckdb"
    config = settings_file(folder, timeout_s=2, fetch_retries=1, retry_delay_s=0.2)
    started = time.monotonic()
    result = run_dealwire("ingest", "--allow-private", "--config", config, "--db", str(db), *urls.values(),
                          env=dealwire_env, timeout=180)
    return result, db, time.monotonic() - started, urls


REASONS = {
    "slow": "timed out", "drip": "timed out", "reset": "connection reset", "429": "HTTP 429",
    "500": "HTTP 500", "404": "HTTP 404", "loop": "redirect loop", "gzip-bomb": "decompressed",
    "tls-closed-port": "connection refused", "tls-to-plain-http": "",
}


def test_the_good_feed_is_stored_and_the_run_exits_1(faults):
    result, db, seconds, urls = faults
    assert result.returncode == 1
    assert query(db, "SELECT DISTINCT feed_url FROM articles") == [(urls["good"],)]
    assert feed_rows(db)[urls["good"]][0] == "ok"
    assert seconds < 90  # every fault is bounded by a 2 s timeout and one retry


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_fault_is_recorded_with_its_reason_and_named_in_the_output(faults, name):
    result, db, _, urls = faults
    state, error, _ = feed_rows(db)[urls[name]]
    assert state == "failed" and error and REASONS[name] in error
    assert f"failed: {urls[name]}: {error}" in result.stdout


@pytest.mark.parametrize(("path", "tries"), [("/error", 2), ("/slow", 2), ("/reset", 2), ("/limited", 2),
                                             ("/missing", 1), ("/bomb", 1)])
def test_transient_faults_are_retried_once_and_terminal_ones_never(faults, server, path, tries):
    assert server.hits[path] == tries


def test_retry_after_is_kept_in_the_reason(faults):
    # A Retry-After is waited out before the retry (tests/ops/test_runs.py); the reason keeps it too.
    _, db, _, urls = faults
    assert "Retry-After 1s" in feed_rows(db)[urls["429"]][1]


def test_private_addresses_and_other_schemes_are_refused_without_a_request(server, dealwire_env, tmp_path):
    url = server.route("/private", body=funding_feed())
    sources = [url, f"http://localhost:{server.port}/private", f"http://[::ffff:127.0.0.1]:{server.port}/private",
               "ftp://example.com/feed.xml", "gopher://example.com/feed", "javascript:alert(1)",
               "data:application/rss+xml,<rss/>", "file://example.com/etc/passwd"]
    db = tmp_path / "refused.duckdb"
    result = run_dealwire("ingest", "--db", str(db), *sources, env=dealwire_env)
    rows = feed_rows(db)
    assert result.returncode == 1
    assert {source: rows[source][0] for source in sources} == {source: "refused" for source in sources}
    assert all(f"failed: {source}: " in result.stdout for source in sources)
    assert server.hits["/private"] == 0
    assert query(db, "SELECT count(*) FROM articles") == [(0,)]
