"""Article pages for entries whose feed gives only a summary: a polite crawler and trafilatura.

Polite: robots.txt read once per host per run (protego; RFC 9309: a 4xx means no rules, a 5xx or an
unreachable host means keep out), at most `host_concurrency` requests to a host at once and starts at
least `interval_s` apart (a longer Crawl-delay wins), conditional GET, every URL at most once a run.
Every request goes through flows.fetch: the feeds' address rules, timeouts and size caps.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
from protego import Protego

from extractors.records import Article
from flows.config import PageRule
from flows.errors import FeedError
from flows.fetch import FetchPolicy, fetch_feed
from flows.parse import ParsedFeed, page_text
from storage.writes import TextOrigin

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
ROBOTS_TOKEN = "dealwire"          # the product token robots.txt groups are matched against
MAX_ROBOTS_BYTES = 512 * 1024      # RFC 9309 asks crawlers to read at least 500 KiB
MAX_CRAWL_DELAY_S = 60.0
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class PageRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class PageResult:
    status: str                      # ok | not_modified | failed | refused | disallowed
    text: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    error: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None


class _Host:
    """One host's share of the crawler: its robots.txt rules, requests running, next allowed start."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.active = 0
        self.next_start = 0.0
        self.robots: Protego | None = None
        self.robots_problem: PageResult | None = None   # the result every page gets when robots.txt says no
        self.robots_state = "unread"                     # unread | reading | read


class Crawler:
    """One run's page fetcher, shared by the feed tasks: per-host limits hold across all of them, while
    each call brings its own threads, so pages of a slow or strict host wait for that host only."""

    def __init__(self, policy: FetchPolicy, *, interval_s: float = 1.0, host_concurrency: int = 2,
                 workers: int = 4) -> None:
        self.policy = replace(policy, accept=PAGE_ACCEPT)
        self.interval_s, self.host_concurrency, self.workers = interval_s, max(1, host_concurrency), max(1, workers)
        self._client = httpx.Client(trust_env=False, follow_redirects=False)
        self._cond = threading.Condition()
        self._hosts: dict[str, _Host] = {}
        self._results: dict[str, Future] = {}

    def close(self) -> None:
        self._client.close()

    def fetch(self, requests: list[PageRequest]) -> list[PageResult]:
        """The pages, in order; a URL already fetched (or being fetched) in this run is not fetched again."""
        futures, queues = [], {}
        with self._cond:
            for request in requests:
                future = self._results.get(request.url)
                if future is None:
                    future = self._results[request.url] = Future()
                    queues.setdefault(_host_key(request.url), deque()).append((request, future))
                futures.append(future)
        jobs = sum(len(q) for q in queues.values())
        if jobs:
            with ThreadPoolExecutor(max_workers=min(self.workers, jobs), thread_name_prefix="page") as pool:
                for _ in range(min(self.workers, jobs)):
                    pool.submit(self._work, queues)
        return [f.result() for f in futures]

    def _work(self, queues: dict[str, deque]) -> None:
        while (job := self._next_job(queues)) is not None:
            key, (request, future), read_robots = job
            try:
                future.set_result(self._page(key, request, read_robots))
            except BaseException as exc:  # a bug on one page must not leave the others waiting
                future.set_result(PageResult("failed", error=f"{type(exc).__name__}: {exc}"[:300]))
            finally:
                self._release(key)

    def _next_job(self, queues: dict[str, deque]):
        """The next page of a host that may take a request now; waits only while none of these hosts may."""
        with self._cond:
            while True:
                now = time.monotonic()
                pending = [k for k, q in queues.items() if q]
                if not pending:
                    return None
                waits = []
                for key in pending:
                    host = self._host(key)
                    if host.active >= self.host_concurrency or host.robots_state == "reading":
                        continue    # robots.txt first: no page of the host starts before it is read
                    if host.next_start <= now:
                        self._take(host, now)
                        read_robots = host.robots_state == "unread"
                        host.robots_state = "reading" if read_robots else host.robots_state
                        return key, queues[key].popleft(), read_robots
                    waits.append(host.next_start - now)
                self._cond.wait(timeout=min(waits) if waits else None)

    def _acquire(self, key: str) -> None:
        """Wait for this host's next slot (a second request in one job: the page after its robots.txt)."""
        with self._cond:
            host = self._host(key)
            while host.active >= self.host_concurrency or host.next_start > time.monotonic():
                self._cond.wait(timeout=max(0.0, host.next_start - time.monotonic()) or None)
            self._take(host, time.monotonic())

    def _take(self, host: _Host, now: float) -> None:
        host.active += 1
        host.next_start = now + host.interval_s

    def _release(self, key: str) -> None:
        with self._cond:
            self._hosts[key].active -= 1
            self._cond.notify_all()

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(self.interval_s)
        return host

    def _page(self, key: str, request: PageRequest, read_robots: bool) -> PageResult:
        with self._cond:
            host = self._host(key)
        if read_robots:        # robots.txt took this job's slot: the page waits for the next one
            try:
                self._read_robots(key, host)
            finally:
                with self._cond:
                    host.robots_state = "read"
                self._release(key)
            self._acquire(key)
        if host.robots_problem is not None:
            return host.robots_problem
        if host.robots is not None and not host.robots.can_fetch(request.url, ROBOTS_TOKEN):
            return PageResult("disallowed", error="robots.txt disallows it")
        try:
            result = fetch_feed(request.url, etag=request.etag, last_modified=request.last_modified,
                                policy=self.policy, client=self._client)
        except FeedError as exc:
            return PageResult(exc.status, error=exc.reason, http_status=exc.http_status)
        if result.not_modified:
            return PageResult("not_modified", http_status=result.status_code, etag=result.etag,
                              last_modified=result.last_modified)
        return _extract(result.content, result.headers.get("content-type", ""), result.final_url,
                        result.status_code, result.etag, result.last_modified)

    def _read_robots(self, key: str, host: _Host) -> None:
        policy = replace(self.policy, accept="text/plain, */*;q=0.1", max_bytes=MAX_ROBOTS_BYTES)
        try:
            result = fetch_feed(f"{key}/robots.txt", policy=policy, client=self._client)
            host.robots = Protego.parse(result.content.decode("utf-8", "replace"))
            delay = host.robots.crawl_delay(ROBOTS_TOKEN)
            if delay:
                host.interval_s = max(host.interval_s, min(float(delay), MAX_CRAWL_DELAY_S))
        except FeedError as exc:
            if exc.status == "refused":
                host.robots_problem = PageResult("refused", error=exc.reason)
            elif not (exc.http_status and 400 <= exc.http_status < 500):   # 4xx: no rules at all
                host.robots_problem = PageResult("disallowed", error=f"robots.txt unavailable: {exc.reason}",
                                                 http_status=exc.http_status)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _extract(content: bytes, content_type: str, url: str, status: int, etag, last_modified) -> PageResult:
    import trafilatura

    media = content_type.split(";", 1)[0].strip().lower()
    if media not in _HTML_TYPES and (media or b"<html" not in content[:2048].lower()):
        return PageResult("failed", error=f"not an HTML page (Content-Type {media or 'missing'})", http_status=status)
    doc = trafilatura.bare_extraction(content, url=url, with_metadata=True, include_comments=False)
    text = page_text(doc.text or "") if doc is not None else ""
    head, _, rest = text.partition("\n\n")
    if doc is not None and doc.title and head == " ".join(doc.title.split()):
        text = rest     # the headline: articles.title has it, the text starts with the story
    if not text:
        return PageResult("failed", error="no main text found in the page", http_status=status)
    return PageResult("ok", text=text, title=doc.title or None, author=doc.author or None,
                      published_at=_date(doc.date), http_status=status, etag=etag, last_modified=last_modified)


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def wants_page(article: Article, rule: PageRule, text_source: str = "feed_content") -> bool:
    """when_short: the entry is only a summary (no content:encoded / Atom content), or its text is short."""
    if not article.url or rule.fetch_pages == "never":
        return False
    return rule.fetch_pages == "always" or text_source == "feed_summary" or len(article.text) < rule.min_chars


def complete_articles(parsed: ParsedFeed, rule: PageRule, crawler: Crawler, known: dict[str, str],
                      stored: dict[str, dict]) -> tuple[list[Article], dict[str, TextOrigin]]:
    """The feed's articles with their page's text where the rule asks for it, and where each text came
    from. Only new and changed entries (content hash not in `known`) get their page fetched; `stored`
    holds what earlier runs took from pages, for conditional GET and a 304."""
    origins = {a.article_id: TextOrigin(parsed.text_sources.get(a.article_id, "feed_summary"))
               for a in parsed.articles}
    todo = [a for a in parsed.articles if known.get(a.article_id) != a.content_hash
            and wants_page(a, rule, origins[a.article_id].text_source)]
    requests = []
    for a in todo:
        old = stored.get(a.article_id, {})
        requests.append(PageRequest(a.url, old.get("page_etag"), old.get("page_last_modified")))
    done = {a.article_id: (a, r) for a, r in zip(todo, crawler.fetch(requests))}
    articles = []
    for article in parsed.articles:
        if article.article_id in done:
            article, origins[article.article_id] = _with_page(*done[article.article_id],
                                                              origins[article.article_id],
                                                              stored.get(article.article_id))
        articles.append(article)
    return articles, origins


def _with_page(article: Article, page: PageResult, origin: TextOrigin, old: dict | None) -> tuple[Article, TextOrigin]:
    if page.status == "not_modified" and old:
        page = replace(page, text=old["text"], title=old["title"], author=old["author"],
                       published_at=old["published_at"])
    elif page.status == "not_modified":
        page = PageResult("failed", error="HTTP 304 for a page never stored", http_status=page.http_status)
    elif page.status == "ok" and len(page.text) <= len(article.text):
        page = PageResult("failed", error=f"the page's main text ({len(page.text)} characters) is no longer "
                                          f"than the feed's ({len(article.text)})", http_status=page.http_status)
    if page.text is None:
        return article, replace(origin, page_status=page.status, page_error=page.error,
                                page_http_status=page.http_status)
    article = replace(article, text=page.text, title=article.title or page.title or "",
                      author=article.author or page.author, published_at=article.published_at or page.published_at)
    return article, TextOrigin("page", page.status, None, page.http_status, page.etag, page.last_modified)
