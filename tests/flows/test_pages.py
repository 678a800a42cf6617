"""Article pages for summary-only feeds: the crawler and the ingest flow against a real server on 127.0.0.1."""
from __future__ import annotations

from dataclasses import replace

import pytest

from flows.config import PageRule, load_settings, page_rule, user_agent
from flows.errors import UsageError
from flows.fetch import FetchPolicy
from flows.ingest import ingest
from flows.pages import Crawler, PageRequest
from flows.reprocess import reprocess_article
from storage.db import Database
from tests.conftest import item, local_settings, rss
from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)

LOCAL = FetchPolicy(allow_private=True, timeout_s=1, total_timeout_s=2, max_bytes=20_000)
SUMMARY = "Quarry Silicon has news about its funding."
STORY = [
    "Quarry Silicon, a startup that designs optical interconnects for GPU clusters, raised $64 million in a "
    "Series B round led by Lowland Ventures, the company said on Wednesday.",
    "The company plans to use the money to double its engineering staff in Lisbon and to start volume "
    "production of its first switch next year, according to its chief executive.",
    "Demand for faster links between accelerators has grown as training runs spread across tens of "
    "thousands of chips, and several larger suppliers have announced products of their own this year.",
]


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title><meta name='author' content='Rui Costa'></head>"
            f"<body><nav><a href='/'>Home</a> | <a href='/about'>About</a></nav><article><h1>{title}</h1>{body}"
            f"</article><footer>Copyright Example News</footer></body></html>").encode()


def page_settings(tmp_path, **changes):
    return replace(local_settings(tmp_path / "dealwire.duckdb"), fetch_pages="when_short", page_interval_s=0,
                   **changes)


def query(settings, sql: str, *params) -> list[tuple]:
    with Database(settings.db_path, read_only=True) as db:
        return db.con.execute(sql, list(params)).fetchall()


def origin(settings, url: str) -> tuple:
    """(text_source, page_status, page_http_status, page_error, text) of the article at url."""
    return query(settings, "SELECT text_source, page_status, page_http_status, page_error, text FROM articles "
                           "WHERE url = ?", url)[0]


def page_hits(server) -> list[str]:
    return [path for path, _ in server.requests if path.startswith("/news/")]


# -- the ingest flow -------------------------------------------------------------

@pytest.fixture
def summary_feed(feed_server):
    """A feed of one summary-only entry whose page holds the full story (ETag'd, as are the feed and page)."""
    link = feed_server.html("/news/quarry", page("Quarry Silicon raises $64 million", STORY), etag='"p1"')
    feed = feed_server.route("/feed", body=rss(item(link, "Quarry Silicon raises", SUMMARY)), etag='"f1"')
    return feed, link


@pytest.mark.usefixtures("prefect_api")
def test_a_summary_only_feed_ends_with_the_pages_text_and_its_deals(feed_server, summary_feed, tmp_path):
    feed, link = summary_feed
    settings = page_settings(tmp_path)
    summary = ingest([feed], settings)
    source, status, http, error, text = origin(settings, link)
    assert (source, status, http, error, summary.pages_fetched) == ("page", "ok", 200, None, 1)
    assert text.startswith(STORY[0]) and "\n\n" in text
    assert query(settings, "SELECT deal_type, company, amount FROM deals") == [
        ("funding_round", "Quarry Silicon", 64_000_000.0)]


@pytest.mark.usefixtures("prefect_api")
def test_a_second_run_asks_conditionally_and_fetches_nothing_new(feed_server, summary_feed, tmp_path):
    feed, link = summary_feed
    settings = page_settings(tmp_path)
    ingest([feed], settings)
    feed_server.route("/feed", body=rss(item(link, "Quarry Silicon raises", SUMMARY + " Updated.")), etag='"f2"')
    summary = ingest([feed], settings)
    page_requests = [headers for path, headers in feed_server.requests if path == "/news/quarry"]
    assert [h.get("If-None-Match") for h in page_requests] == [None, '"p1"']
    assert (summary.articles_updated, summary.pages_not_modified, summary.pages_fetched) == (1, 1, 0)
    assert origin(settings, link)[:2] == ("page", "not_modified")
    assert origin(settings, link)[4].startswith(STORY[0])


@pytest.mark.usefixtures("prefect_api")
def test_an_unchanged_feed_sends_no_page_requests(feed_server, summary_feed, tmp_path):
    feed, _ = summary_feed
    settings = page_settings(tmp_path)
    ingest([feed], settings)
    ingest([feed], settings)
    assert feed_server.requests[-1][0] == "/feed" and feed_server.requests[-1][1]["If-None-Match"] == '"f1"'
    assert page_hits(feed_server) == ["/news/quarry"]


@pytest.mark.usefixtures("prefect_api")
def test_a_page_robots_txt_disallows_is_not_requested(feed_server, tmp_path):
    feed_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /news/private/\n",
                      headers={"Content-Type": "text/plain"})
    blocked = feed_server.html("/news/private/quarry", page("Quarry", STORY))
    allowed = feed_server.html("/news/open/quarry", page("Quarry", STORY))
    feed = feed_server.route("/feed", body=rss(item(blocked, "Blocked", SUMMARY), item(allowed, "Open", SUMMARY)))
    settings = page_settings(tmp_path)
    ingest([feed], settings)
    assert page_hits(feed_server) == ["/news/open/quarry"]
    assert feed_server.hits["/robots.txt"] == 1
    assert origin(settings, blocked)[:4] == ("feed_summary", "disallowed", None, "robots.txt disallows it")
    assert origin(settings, blocked)[4] == SUMMARY


@pytest.mark.usefixtures("prefect_api")
def test_a_404_keeps_the_summary_and_records_the_failure(feed_server, tmp_path):
    link = feed_server.url("/news/gone")
    feed = feed_server.route("/feed", body=rss(item(link, "Gone", SUMMARY)))
    settings = page_settings(tmp_path)
    summary = ingest([feed], settings)
    assert origin(settings, link) == ("feed_summary", "failed", 404, "HTTP 404 Not Found", SUMMARY)
    assert (summary.ok, summary.pages_failed) == (True, 1)


@pytest.mark.usefixtures("prefect_api")
def test_never_and_long_full_entries_fetch_no_page(feed_server, tmp_path):
    link = feed_server.html("/news/quarry", page("Quarry", STORY))
    full = feed_server.html("/news/full", page("Full", STORY))
    body = "".join(f"<p>{p}</p>" for p in STORY)
    long_feed = feed_server.route("/long", body=rss(item(full, "Full", SUMMARY, encoded=body)))
    never = feed_server.route("/never", body=rss(item(link, "Quarry", SUMMARY)))
    settings = page_settings(tmp_path, page_min_chars=200, page_rules={never: PageRule("never", 200)})
    ingest([long_feed, never], settings)
    assert page_hits(feed_server) == []
    assert sorted(r[0] for r in query(settings, "SELECT text_source FROM articles")) == ["feed_content", "feed_summary"]


@pytest.mark.usefixtures("prefect_api")
def test_a_long_summary_without_content_still_gets_its_page(feed_server, tmp_path):
    link = feed_server.html("/news/longsummary", page("Long summary", STORY))
    feed = feed_server.route("/longsummary", body=rss(item(link, "Long summary", " ".join(STORY))))
    settings = page_settings(tmp_path, page_min_chars=200)
    ingest([feed], settings)
    assert [r[0] for r in query(settings, "SELECT text_source FROM articles")] == ["page"]


@pytest.mark.usefixtures("prefect_api")
def test_reprocess_fetches_nothing_and_keeps_the_text_source(feed_server, summary_feed, tmp_path):
    feed, link = summary_feed
    settings = page_settings(tmp_path)
    ingest([feed], settings)
    before = len(feed_server.requests)
    reprocess_article(link, settings)
    assert len(feed_server.requests) == before
    assert origin(settings, link)[:2] == ("page", "ok")


# -- the crawler ---------------------------------------------------------------

def crawl(server, paths: list[str], **options) -> list:
    crawler = Crawler(LOCAL, **{"interval_s": 0, **options})
    try:
        return crawler.fetch([PageRequest(server.url(p)) for p in paths])
    finally:
        crawler.close()


def gaps(server, prefix: str = "/") -> list[float]:
    times = [t for path, t in server.arrivals if path.startswith(prefix)]
    return [b - a for a, b in zip(times, times[1:])]


def test_the_per_host_rate_limit_holds(feed_server):
    paths = [f"/news/{n}" for n in range(5)]
    for p in paths:
        feed_server.html(p, page("Quarry", STORY))
    results = crawl(feed_server, paths, interval_s=0.4, host_concurrency=4)
    assert [r.status for r in results] == ["ok"] * 5
    assert len(feed_server.arrivals) == 6          # robots.txt, then the five pages
    assert min(gaps(feed_server)) >= 0.35     # starts are spaced on our side; loopback adds little jitter


def test_the_per_host_concurrency_cap_holds(feed_server):
    paths = [f"/news/{n}" for n in range(4)]
    for p in paths:
        feed_server.html(p, page("Quarry", STORY), delay_s=0.25)
    crawl(feed_server, paths, host_concurrency=1, workers=4)
    assert min(gaps(feed_server, "/news/")) >= 0.24


def test_the_same_url_is_fetched_once_a_run(feed_server):
    feed_server.html("/news/a", page("Quarry", STORY))
    first, second = crawl(feed_server, ["/news/a", "/news/a"])
    assert first == second and first.status == "ok"
    assert feed_server.hits["/news/a"] == 1


@pytest.mark.parametrize(("route", "error"), [
    ({"body": page("Huge", STORY * 100)}, "larger than 20000 bytes"),
    ({"body": page("Slow", STORY), "delay_s": 1.5}, "timed out"),
    ({"body": b"%PDF-1.7 not a page", "headers": {"Content-Type": "application/pdf"}},
     "not an HTML page (Content-Type application/pdf)"),
], ids=["huge", "slow", "not-html"])
def test_a_page_that_is_huge_slow_or_not_html_fails_cleanly(feed_server, route, error):
    feed_server.html("/news/bad", **route)
    feed_server.html("/news/good", page("Quarry", STORY))
    bad, good = crawl(feed_server, ["/news/bad", "/news/good"])
    assert (bad.status, bad.text) == ("failed", None) and error in bad.error
    assert good.status == "ok"


def test_an_unreachable_robots_txt_keeps_the_crawler_out(feed_server):
    feed_server.route("/robots.txt", status=503, body=b"down")
    feed_server.html("/news/a", page("Quarry", STORY))
    (result,) = crawl(feed_server, ["/news/a"])
    assert (result.status, result.error) == ("disallowed", "robots.txt unavailable: HTTP 503 Service Unavailable")
    assert feed_server.hits["/news/a"] == 0


def test_a_private_address_is_refused_without_a_request(feed_server):
    crawler = Crawler(replace(LOCAL, allow_private=False))
    try:
        (result,) = crawler.fetch([PageRequest(feed_server.url("/news/a"))])
    finally:
        crawler.close()
    assert result.status == "refused" and "loopback" in result.error
    assert feed_server.requests == []


# -- the config ------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "message"), [
    ('[[feed]]\nurl = "https://a.example/feed"\nfetch_pages = "sometimes"\n',
     '[[feed]] https://a.example/feed: fetch_pages = \'sometimes\' is not one of "always", "when_short", "never"'),
    ('[settings]\npage_min_chars = "short"\n', "[settings] page_min_chars must be a whole number of at least 0, not 'short'"),
], ids=["feed-mode", "threshold"])
def test_a_bad_page_setting_names_the_file_and_key(tmp_path, toml, message):
    path = tmp_path / "feeds.toml"
    path.write_text(toml)
    with pytest.raises(UsageError) as caught:
        load_settings(str(path), env={})
    assert str(caught.value) == f"config {path}: {message}"


def test_a_feeds_own_rule_wins_over_the_default(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[settings]\nfetch_pages = "always"\npage_min_chars = 300\ncontact = "mailto:ops@example.com"\n'
                    '[[feed]]\nurl = "https://a.example/feed"\nfetch_pages = "never"\n'
                    '[[feed]]\nurl = "https://b.example/feed"\n')
    settings = load_settings(str(path), env={})
    assert [page_rule(settings, f"https://{h}.example/feed").fetch_pages for h in "ab"] == ["never", "always"]
    assert page_rule(settings, "https://b.example/feed").min_chars == 300
    assert user_agent(settings).endswith("; mailto:ops@example.com)")
