"""The ingest and reprocess flows, run for real: Prefect test server, HTTP server on loopback, DuckDB file."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from extractors.pipeline import VERSION
from flows.errors import ArticleError
from flows.ingest import ingest
from flows.reprocess import reprocess_article
from storage.db import Database
from tests.conftest import FUNDING_STORIES, funding_feed, item, local_settings, rss
from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.usefixtures("prefect_api")

TABLES = ("feeds", "articles", "mentions", "deals", "deal_participants")
STORY_A = item("https://news.example.com/a", "Story A", "Acme AI raised $10 million from Index Ventures.")
STORY_B = item("https://news.example.com/b", "Story B", "Bolt Data signed a partnership with Dell.")


def query(settings, sql: str, *params) -> list[tuple]:
    with Database(settings.db_path, read_only=True) as db:
        return db.con.execute(sql, list(params)).fetchall()


def row_counts(settings) -> dict[str, int]:
    return {t: query(settings, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def article_row(settings, url: str) -> tuple:
    """(content_hash, updated_at, extracted_at) of the article at url."""
    return query(settings, "SELECT content_hash, updated_at, extracted_at FROM articles WHERE url = ?", url)[0]


def feed_row(settings, feed_url: str) -> tuple:
    """(last_status, last_error, consecutive_failures, etag) of a feed."""
    return query(settings, "SELECT last_status, last_error, consecutive_failures, etag FROM feeds "
                           "WHERE feed_url = ?", feed_url)[0]


# -- fetching and storing ------------------------------------------------------

def test_first_fetch_stores_articles_and_the_feeds_etag(feed_server, settings):
    url = feed_server.route("/feed", body=rss(STORY_A, STORY_B), etag='"v1"')
    summary = ingest([url], settings)
    assert (summary.feeds_ok, summary.articles_new) == (1, 2)
    assert row_counts(settings)["articles"] == 2
    assert feed_row(settings, url) == ("ok", None, 0, '"v1"')


def test_second_run_gets_a_304_and_adds_nothing(feed_server, settings):
    url = feed_server.route("/feed", body=rss(STORY_A, STORY_B), etag='"v1"')
    ingest([url], settings)
    before = row_counts(settings)
    summary = ingest([url], settings)
    assert feed_server.hits["/feed"] == 2
    assert feed_server.requests[1][1]["If-None-Match"] == '"v1"'
    assert (summary.feeds_not_modified, summary.articles_new, summary.articles_unchanged) == (1, 0, 0)
    assert row_counts(settings) == before
    assert feed_row(settings, url)[0] == "not_modified"


def test_a_feed_that_sends_the_same_bytes_again_is_not_parsed_again(feed_server, settings):
    url = feed_server.route("/plain", body=rss(STORY_A, STORY_B))      # no ETag, no Last-Modified
    ingest([url], settings)
    before = row_counts(settings)
    summary = ingest([url], settings)
    assert feed_server.hits["/plain"] == 2
    assert (summary.feeds_not_modified, summary.articles_new, summary.articles_unchanged) == (1, 0, 0)
    assert row_counts(settings) == before
    assert feed_row(settings, url)[0] == "not_modified"


def test_a_local_file_is_read_again_once_it_changes(tmp_path, settings):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(STORY_A))
    ingest([str(path)], settings)
    assert ingest([str(path)], settings).feeds_not_modified == 1
    path.write_bytes(rss(STORY_A, STORY_B))
    summary = ingest([str(path)], settings)
    assert (summary.feeds_ok, summary.articles_new, summary.articles_unchanged) == (1, 1, 1)


def ingest_then_change_story_a(feed_server, settings, watched: str):
    """Ingest stories A and B, then again after A's text changed: (watched row before, after, summary)."""
    url = feed_server.route("/feed", body=rss(STORY_A, STORY_B), etag='"v1"')
    ingest([url], settings)
    before = article_row(settings, watched)
    changed = item("https://news.example.com/a", "Story A", "Acme AI raised $25 million from Index Ventures.")
    feed_server.route("/feed", body=rss(changed, STORY_B), etag='"v2"')
    summary = ingest([url], settings)
    return before, article_row(settings, watched), summary


def test_changed_article_is_updated_and_re_extracted(feed_server, settings):
    old, new, summary = ingest_then_change_story_a(feed_server, settings, "https://news.example.com/a")
    assert (summary.articles_updated, summary.articles_unchanged) == (1, 1)
    assert new[0] != old[0]
    assert new[1] > old[1] and new[2] > old[2]


def test_unchanged_article_is_not_re_extracted(feed_server, settings):
    old, new, _ = ingest_then_change_story_a(feed_server, settings, "https://news.example.com/b")
    assert new == old


def test_same_article_in_two_feeds_is_stored_once(feed_server, settings):
    first = feed_server.route("/one", body=rss(STORY_A, STORY_B))
    second = feed_server.route("/two", body=rss(item("https://news.example.com/a/?utm_source=x", "Story A",
                                                     "Acme AI raised $10 million from Index Ventures.")))
    ingest([first, second], settings)
    assert query(settings, "SELECT feed_url, count(*) FROM articles WHERE url = 'https://news.example.com/a' "
                           "GROUP BY ALL") == [(first, 1)]
    assert row_counts(settings)["feeds"] == 2


@pytest.mark.parametrize("route", [{"status": 500, "body": b"oops"}, {"body": b"\x00\x9f garbage {{ not xml"}],
                         ids=["http-500", "garbage-bytes"])
def test_broken_feed_is_recorded_and_the_good_one_stored(feed_server, settings, route):
    good = feed_server.route("/good", body=rss(STORY_A))
    bad = feed_server.route("/bad", **route)
    summary = ingest([bad, good], settings)
    status, error, failures, _ = feed_row(settings, bad)
    assert [feed for feed, _ in summary.failures] == [bad]
    assert (status, failures) == ("failed", 1) and error
    assert query(settings, "SELECT feed_url FROM articles") == [(good,)]


def test_consecutive_failures_count_up_across_runs(feed_server, settings):
    bad = feed_server.route("/bad", status=500, body=b"oops")
    ingest([bad], settings)
    ingest([bad], settings)
    assert feed_row(settings, bad)[:3] == ("failed", "HTTP 500 Internal Server Error", 2)


def test_local_file_feed_is_ingested(tmp_path, settings):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(STORY_A, STORY_B))
    summary = ingest([str(path)], settings)
    assert (summary.feeds_ok, summary.articles_new) == (1, 2)
    assert query(settings, "SELECT DISTINCT feed_url FROM articles") == [(str(path),)]


# -- what extraction stores ----------------------------------------------------

@pytest.fixture(scope="module")
def funding_db(prefect_api, tmp_path_factory):
    """The three funding stories ingested from a local file, once for the module (do not write to it)."""
    folder = tmp_path_factory.mktemp("funding")
    (folder / "funding.xml").write_bytes(funding_feed())
    settings = local_settings(folder / "dealwire.duckdb")
    ingest([str(folder / "funding.xml")], settings)
    return settings


def test_every_story_is_stored_with_its_paragraphs(funding_db):
    texts = [t for (t,) in query(funding_db, "SELECT text FROM articles ORDER BY url")]
    assert len(texts) == len(FUNDING_STORIES)
    assert all("\n\n" in t for t in texts)


@pytest.mark.parametrize("label", ["ORG", "MONEY"])
def test_mentions_offsets_point_into_the_article_text(funding_db, label):
    rows = query(funding_db, "SELECT a.text, m.start_char, m.end_char, m.text FROM mentions m "
                             "JOIN articles a USING (article_id) WHERE m.label = ?", label)
    assert rows
    assert [t[s:e] for t, s, e, _ in rows] == [m for *_, m in rows]


def test_deal_evidence_is_the_text_at_its_offsets(funding_db):
    rows = query(funding_db, "SELECT a.text, d.evidence_start, d.evidence_end, d.evidence FROM deals d "
                             "JOIN articles a USING (article_id)")
    assert rows
    assert [t[s:e] for t, s, e, _ in rows] == [ev for *_, ev in rows]


def test_extractor_version_is_stored_with_articles_and_deals(funding_db):
    versions = query(funding_db, "SELECT extractor_version FROM articles UNION SELECT extractor_version FROM deals")
    assert versions == [(VERSION,)]


def test_every_participant_belongs_to_a_stored_deal(funding_db):
    orphans = query(funding_db, "SELECT count(*) FROM deal_participants WHERE deal_id NOT IN "
                                "(SELECT deal_id FROM deals)")
    assert orphans == [(0,)]


# -- reprocess -----------------------------------------------------------------

@pytest.fixture
def reprocess_settings(funding_db, tmp_path):
    """A private copy of the funding database, free to change."""
    shutil.copy(funding_db.db_path, tmp_path / "dealwire.duckdb")
    return local_settings(tmp_path / "dealwire.duckdb")


def deals_by_article(settings) -> dict[str, list[tuple]]:
    rows = query(settings, "SELECT article_id, deal_id, extracted_at FROM deals ORDER BY deal_id")
    out: dict[str, list[tuple]] = {}
    for article_id, deal, at in rows:
        out.setdefault(article_id, []).append((deal, at))
    return out


def test_reprocess_by_id_replaces_only_that_articles_deals(reprocess_settings):
    (article_id, extracted_at), = query(reprocess_settings, "SELECT article_id, extracted_at FROM articles "
                                                            "WHERE url = ?", FUNDING_STORIES[0][0])
    before = deals_by_article(reprocess_settings)
    result = reprocess_article(article_id, reprocess_settings)
    after = deals_by_article(reprocess_settings)
    (new_extracted_at,), = query(reprocess_settings, "SELECT extracted_at FROM articles WHERE article_id = ?",
                                 article_id)
    assert {k: v for k, v in after.items() if k != article_id} == {k: v for k, v in before.items() if k != article_id}
    assert len(after.get(article_id, [])) == result.deals_after
    assert new_extracted_at > extracted_at
    assert {at for _, at in after.get(article_id, [])} <= {new_extracted_at}


def test_reprocess_by_url_moves_extracted_at(reprocess_settings):
    url = FUNDING_STORIES[1][0]
    (old,), = query(reprocess_settings, "SELECT extracted_at FROM articles WHERE url = ?", url)
    result = reprocess_article(url + "/", reprocess_settings)
    (new,), = query(reprocess_settings, "SELECT extracted_at FROM articles WHERE url = ?", url)
    assert result.url == url
    assert new > old


def test_reprocess_unknown_article_raises_article_error(reprocess_settings):
    with pytest.raises(ArticleError, match="not in the database"):
        reprocess_article("https://news.example.com/never-seen", reprocess_settings)


def test_feeds_streamed_in_groups_store_what_one_group_stores(feed_server, tmp_path):
    """Feeds fetched one group at a time, articles stored two per batch across group boundaries."""
    urls = [feed_server.route("/one", body=rss(STORY_A, STORY_B), etag='"1"'),
            feed_server.route("/two", body=rss(STORY_A), etag='"2"'),
            feed_server.route("/three", body=rss(item("https://news.example.com/c", "Story C", "Nothing here.")))]
    streamed = replace(local_settings(tmp_path / "streamed.duckdb"), fetch_workers=1, batch_size=2)
    summary = ingest(urls, streamed)
    whole = local_settings(tmp_path / "whole.duckdb")
    ingest(urls, whole)
    assert (summary.feeds_ok, summary.articles_new) == (3, 3)
    assert row_counts(streamed) == row_counts(whole)
    assert [feed_row(streamed, u)[3] for u in urls] == ['"1"', '"2"', None]


def test_batches_in_flight_in_worker_processes_store_what_one_process_stores(tmp_path):
    """Two batches at a time (one storing while the next is extracted by two workers), several feeds."""
    from flows.extract import PARALLEL_MIN
    from tests.ops.conftest import long_feed

    paths = []
    for n, body in enumerate((long_feed(90), long_feed(150))):
        paths.append(tmp_path / f"feed-{n}.xml")
        paths[-1].write_bytes(body)
    workers = replace(local_settings(tmp_path / "workers.duckdb"), n_process=2, batch_size=PARALLEL_MIN,
                      fetch_workers=1)
    summary = ingest([str(p) for p in paths], workers)
    alone = local_settings(tmp_path / "alone.duckdb")
    ingest([str(p) for p in paths], alone)
    assert summary.articles_new == 150 and summary.feeds_ok == 2
    assert row_counts(workers) == row_counts(alone)
    assert query(workers, "SELECT count(*) FROM deals") == query(alone, "SELECT count(*) FROM deals")
    assert [r[0] for r in query(workers, "SELECT last_status FROM feeds ORDER BY feed_url")] == ["ok", "ok"]
