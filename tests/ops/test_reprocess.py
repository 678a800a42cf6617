"""`dealwire reprocess --stale / --all` as real processes on a real DuckDB file: only stale articles,
batches that survive SIGKILL, a resumed --all, and the deal changes printed and stored."""
from __future__ import annotations

import json
import shutil

import pytest

from extractors.pipeline import VERSION
from flows.ingest import ingest
from storage.db import Database
from tests.conftest import local_settings
from tests.ops.conftest import Running, dealwire, long_feed, query, write_config

ARTICLES = 80


@pytest.fixture(scope="module")
def stored(prefect_api, tmp_path_factory) -> str:
    """ARTICLES stories ingested once for the module (copy it before changing it)."""
    folder = tmp_path_factory.mktemp("stored")
    (folder / "feed.xml").write_bytes(long_feed(ARTICLES))
    settings = local_settings(folder / "dealwire.duckdb")
    ingest([str(folder / "feed.xml")], settings)
    return settings.db_path


@pytest.fixture
def db(stored, tmp_path) -> str:
    shutil.copy(stored, tmp_path / "dealwire.duckdb")
    return str(tmp_path / "dealwire.duckdb")


@pytest.fixture
def small_batches(tmp_path) -> str:
    return str(write_config(tmp_path / "batches.toml", batch_size=10))


def execute(db_path: str, *statements: str) -> None:
    with Database(db_path) as database, database.atomic() as con:
        for sql in statements:
            con.execute(sql)


def extracted_at(db_path: str) -> dict[str, object]:
    return dict(query(db_path, "SELECT article_id, extracted_at FROM articles"))


def stale_ids(db_path: str) -> set[str]:
    return {a for (a,) in query(db_path, "SELECT article_id FROM articles WHERE extractor_version <> ?", VERSION)}


def test_stale_touches_only_stale_articles_and_resumes_after_sigkill(db, small_batches, env):
    execute(db, "UPDATE articles SET extractor_version = 'old' WHERE article_id IN "
                "(SELECT article_id FROM articles ORDER BY url LIMIT 40)")
    stale, before = stale_ids(db), extracted_at(db)
    killed = Running("reprocess", "--stale", "--db", db, "--config", small_batches, env=env)
    killed.wait_for("reprocessed 10/40 articles")
    killed.proc.kill()
    killed.proc.wait(30)
    left = stale_ids(db)
    assert left < stale and len(left) <= 30            # committed batches stayed committed ...
    assert left                                        # ... and it was stopped part-way

    result = dealwire("reprocess", "--stale", "--db", db, "--config", small_batches, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"articles: {len(left)} reprocessed; extractor {VERSION}")
    after = extracted_at(db)
    assert stale_ids(db) == set()
    assert {a for a in after if after[a] != before[a]} == stale
    assert query(db, "SELECT status, error FROM runs WHERE flow = 'reprocess' ORDER BY started_at") == [
        ("failed", "interrupted: the process ended before the run finished"), ("completed", None)]


def test_all_resumes_after_the_last_batch_an_interrupted_all_committed(db, small_batches, env):
    killed = Running("reprocess", "--all", "--db", db, "--config", small_batches, env=env)
    killed.wait_for(f"reprocessed 10/{ARTICLES} articles")
    killed.proc.kill()
    killed.proc.wait(30)
    (resume_after,), = query(db, "SELECT last_article_id FROM runs WHERE scope = 'all'")
    before = extracted_at(db)

    result = dealwire("reprocess", "--all", "--db", db, "--config", small_batches, env=env)
    assert result.returncode == 0, result.stderr
    after = extracted_at(db)
    redone = {a for a in after if after[a] != before[a]}
    assert f"(resumed after {resume_after})" in result.stdout.splitlines()[0]
    assert redone == {a for a in after if a > resume_after}

    again = dealwire("reprocess", "--all", "--db", db, "--config", small_batches, env=env)
    assert again.stdout.startswith(f"articles: {ARTICLES} reprocessed; extractor")   # a finished pass starts over


def test_deal_changes_per_type_are_printed_and_stored(db, env):
    (changed, added), = query(db, "SELECT min(article_id), max(article_id) FROM deals")
    execute(
        db,
        f"UPDATE deals SET amount = 1 WHERE article_id = '{changed}'",
        f"INSERT INTO deals SELECT 'made-up-deal', article_id, 'grant', 'Nobody Inc', NULL, NULL, NULL, NULL, NULL, "
        f"'announced', evidence, evidence_start, evidence_end, 'old', now(), 'Nobody Inc' "
        f"FROM deals WHERE article_id = '{changed}' LIMIT 1",
        f"DELETE FROM deal_participants WHERE deal_id IN (SELECT deal_id FROM deals WHERE article_id = '{added}')",
        f"DELETE FROM deals WHERE article_id = '{added}'",
        f"UPDATE articles SET extractor_version = 'old' WHERE article_id IN ('{changed}', '{added}')",
    )
    result = dealwire("reprocess", "--stale", "--db", db, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:4] == [
        "deals:    1 added, 1 removed, 1 changed, 0 unchanged",
        "  funding_round: 1 added, 0 removed, 1 changed, 0 unchanged",
        "  grant: 0 added, 1 removed, 0 changed, 0 unchanged",
    ]
    (stored,), = query(db, "SELECT reprocess_changes FROM runs WHERE flow = 'reprocess'")
    assert json.loads(stored) == {"funding_round": {"added": 1, "removed": 0, "changed": 1, "unchanged": 0},
                                  "grant": {"added": 0, "removed": 1, "changed": 0, "unchanged": 0}}
