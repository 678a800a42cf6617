"""Feed bytes -> articles: HTML to text, the body chosen, links and ids, feeds refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from flows.errors import FeedError
from flows.parse import html_to_text, parse_feed
from tests.conftest import item, rss

REAL_FEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "feeds" / "real"


def only_article(content: bytes, feed_url: str = "https://news.example.com/feed", **kwargs):
    (article,) = parse_feed(content, feed_url=feed_url, **kwargs).articles
    return article


def test_html_to_text_keeps_paragraphs_and_bullet_items():
    html = "<p>First paragraph.</p><p>Second <b>one</b>.</p><ul><li>alpha</li><li>beta</li></ul>"
    assert html_to_text(html) == "First paragraph.\n\nSecond one.\n\n- alpha\n\n- beta"


def test_html_to_text_drops_script_and_style():
    html = "<style>p {color: red}</style><p>Kept.</p><script>track('x');</script>"
    assert html_to_text(html) == "Kept."


def test_content_encoded_is_preferred_over_description():
    entry = item("https://news.example.com/a", "A", "The short summary.", encoded="<p>The full story.</p>")
    assert only_article(rss(entry)).text == "The full story."


def test_relative_link_is_resolved_against_the_feed_url():
    feed_url = "https://news.example.com/feeds/ai.xml"
    article = only_article(rss(item("/2025/03/story", "A", "Text.")), feed_url=feed_url, base_url=feed_url)
    assert article.url == "https://news.example.com/2025/03/story"


def test_article_id_ignores_tracking_parameters_and_trailing_slash():
    plain = only_article(rss(item("https://news.example.com/a", "A", "Text.")))
    tracked = only_article(rss(item("https://News.example.com/a/?utm_source=rss&fbclid=1", "A", "Text.")))
    assert tracked.article_id == plain.article_id


def test_entry_without_link_is_identified_by_its_guid():
    first = only_article(rss(item(None, "A", "Text.", guid="tag:news.example.com,2025:42")))
    retitled = only_article(rss(item(None, "A, updated", "New text.", guid="tag:news.example.com,2025:42")))
    assert (first.url, first.guid) == (None, "tag:news.example.com,2025:42")
    assert retitled.article_id == first.article_id


def test_feed_declaring_an_entity_is_refused():
    content = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]>' + rss(item("https://x.example/a", "&a;", "t"))
    with pytest.raises(FeedError, match="entities"):
        parse_feed(content, feed_url="https://x.example/feed")


@pytest.mark.parametrize("content", [b"<html><head><title>Home</title></head><body><p>Hi</p></body></html>", b""],
                         ids=["html-page", "empty"])
def test_what_is_not_a_feed_raises_feed_error(content):
    with pytest.raises(FeedError, match="unreadable feed"):
        parse_feed(content, feed_url="https://x.example/feed")


def test_malformed_feed_with_entries_yields_articles_and_a_warning():
    undefined_entity = b"<title>A &nbsp; B</title>"
    content = rss(item("https://news.example.com/a", "A", "Text.")).replace(b"<title>A</title>", undefined_entity)
    parsed = parse_feed(content, feed_url="https://news.example.com/feed")
    assert [a.url for a in parsed.articles] == ["https://news.example.com/a"]
    assert "undefined entity" in parsed.warning


@pytest.mark.skipif(not REAL_FEEDS.is_dir(), reason=f"{REAL_FEEDS} absent (needs ../shared)")
@pytest.mark.parametrize("name", sorted(p.name for p in REAL_FEEDS.glob("*.xml")) if REAL_FEEDS.is_dir() else [])
def test_real_feed_parses_to_articles_with_text(name):
    parsed = parse_feed((REAL_FEEDS / name).read_bytes(), feed_url=f"https://feeds.example.com/{name}")
    assert parsed.articles
    assert all(a.text.strip() for a in parsed.articles)
