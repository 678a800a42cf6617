"""Two runs on one database at once, and an analyst reading while a long run writes: real processes,
a real DuckDB file, a long feed served over loopback."""
from __future__ import annotations

import time

import pytest

from flows.ingest import ingest
from storage import writes
from storage.db import Database
from tests.conftest import funding_feed, local_settings
from tests.feedserver import FeedServer
from tests.ops.conftest import Running, dealwire, long_feed, query, write_config

ARTICLES = 200

# What "the rows of one ingest" means: everything but the times a run stamps (and feeds.last_status,
# which the waiting run sets to not_modified when it gets its 304).
CONTENT = {
    "articles": "SELECT article_id, feed_url, url, title, content_hash, text, extractor_version FROM articles",
    "mentions": "SELECT article_id, label, text, start_char, end_char, canonical FROM mentions",
    "deals": "SELECT deal_id, article_id, deal_type, company, amount, currency, round, status, evidence FROM deals",
    "deal_participants": "SELECT deal_id, name, role FROM deal_participants",
    "feeds": "SELECT feed_url, title, etag, last_error, consecutive_failures, entries_seen FROM feeds",
}


def content(db_path) -> dict[str, list[tuple]]:
    return {table: sorted(query(db_path, sql)) for table, sql in CONTENT.items()}


@pytest.fixture(scope="module")
def server():
    server = FeedServer()
    server.route("/long.xml", body=long_feed(ARTICLES), etag='"long-v1"')
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def one_ingest(server, prefect_api, tmp_path_factory):
    """The reference: the long feed ingested once, alone."""
    settings = local_settings(tmp_path_factory.mktemp("one") / "dealwire.duckdb")
    ingest([server.url("/long.xml")], settings)
    return settings.db_path


@pytest.fixture(scope="module")
def overlap(server, env, tmp_path_factory):
    """Run A ingests the long feed in small batches; once its first batch is stored, C tries with --no-wait,
    B starts and must wait, and `dealwire sql` is run again and again until A ends."""
    folder = tmp_path_factory.mktemp("overlap")
    db = str(folder / "dealwire.duckdb")
    config = str(write_config(folder / "small-batches.toml", batch_size=20))
    args = ("ingest", server.url("/long.xml"), "--db", db, "--config", config)
    first = Running(*args, env=env)
    first.wait_for("extracted 20/")
    no_wait = dealwire(*args, "--no-wait", env=env)
    second = Running(*args, env=env)
    reads = []
    while first.proc.poll() is None:
        started = time.monotonic()
        result = dealwire("sql", "SELECT count(*) AS n FROM articles", "--db", db, env=env)
        reads.append((result.returncode, result.stdout, result.stderr, first.proc.poll() is None,
                      time.monotonic() - started))
    return {"db": db, "first": first.finish(), "second": second.finish(), "no_wait": no_wait, "reads": reads,
            "second_lines": second.lines}


def test_two_concurrent_ingests_leave_exactly_the_rows_of_one(overlap, one_ingest):
    assert (overlap["first"][0], overlap["second"][0]) == (0, 0), overlap["second"][2]
    assert content(overlap["db"]) == content(one_ingest)


def test_the_second_run_waits_for_the_first(overlap):
    assert any("waiting for another run on" in line for line in overlap["second_lines"])
    assert "articles: 0 new" in overlap["second"][1]
    assert query(overlap["db"], "SELECT status, articles_new FROM runs ORDER BY started_at") == [
        ("completed", ARTICLES), ("completed", 0)]


def test_no_wait_exits_1_naming_the_run_in_progress(overlap):
    result = overlap["no_wait"]
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: database {overlap['db']}: another run is in progress (pid ")
    assert "Traceback" not in result.stderr


def test_analysts_sql_succeeds_while_a_long_ingest_writes(overlap):
    during = [r for r in overlap["reads"] if r[3]]
    assert len(during) >= 3, overlap["reads"]
    assert [(code, err) for code, _, err, *_ in during if code != 0] == []
    counts = [int(out.splitlines()[-1]) for _, out, *_ in during]
    assert counts == sorted(counts) and counts[0] < ARTICLES    # it read between the run's batches


def test_a_run_left_running_by_a_killed_process_is_marked_failed_by_the_next(tmp_path, prefect_api):
    settings = local_settings(tmp_path / "dealwire.duckdb")
    with Database(settings.db_path) as db:
        writes.start_run(db, "killed-run", "ingest")
    (tmp_path / "feed.xml").write_bytes(funding_feed())
    ingest([str(tmp_path / "feed.xml")], settings)
    assert query(settings.db_path, "SELECT status, error FROM runs WHERE run_id = 'killed-run'") == [
        ("failed", "interrupted: the process ended before the run finished")]
