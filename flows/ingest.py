"""The ingest flow: fetch every feed (a task each, retried when a retry can help), extract and store
new or changed articles in batches (a task per batch), and remember each feed's state once its
articles are stored; feeds stream through in groups, so a corpus of any size runs in bounded memory."""
from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.records import Article
from flows.config import PageRule, Settings, page_rule, user_agent
from flows.errors import FeedError
from flows.extract import BatchOrder, Ticket, close_workers, extract_articles, extracts_in_workers
from flows.fetch import FetchPolicy, fetch_feed
from flows.pages import Crawler, complete_articles
from flows.parse import ParsedFeed, parse_feed
from flows.runs import exclusive_run, failure_reason, finish_run, progress, start_run
from storage import reads, writes
from storage.db import Database
from storage.writes import TextOrigin


@dataclass(frozen=True)
class FeedOutcome:
    source: str
    status: str                     # ok | not_modified | failed | refused
    parsed: ParsedFeed | None = None
    error: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    origins: dict[str, TextOrigin] = field(default_factory=dict)   # article_id -> where its text came from


@dataclass(frozen=True)
class PageJob:
    """What a feed task needs to complete its entries from their pages (a feed with pages to fetch)."""
    crawler: Crawler
    rule: PageRule
    settings: Settings


@dataclass(frozen=True)
class FoundDeal:
    company: str
    deal_type: str
    amount: float | None
    currency: str | None
    link: str | None


@dataclass
class RunSummary:
    run_id: str = ""
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)   # (feed, reason)
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    deals: int = 0
    pages_fetched: int = 0          # of new and changed articles: page text stored
    pages_not_modified: int = 0     # a 304: the stored page text kept
    pages_failed: int = 0           # failed, refused or disallowed by robots.txt: the feed's text kept
    found: list[FoundDeal] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _transient(task, task_run, state) -> bool:
    """Prefect retries a feed only when the failure is one a retry can cure (timeouts, 5xx, 429)."""
    try:
        state.result()
    except FeedError as exc:
        return exc.transient
    except Exception:
        return False
    return False


@task(name="fetch-feed", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def fetch_and_parse(source: str, etag: str | None, last_modified: str | None, body_sha256: str | None,
                    policy: FetchPolicy, pages: PageJob | None = None) -> FeedOutcome:
    """Fetch a feed and parse it, unless the server says it is not modified or sends the very bytes
    whose articles the last run stored (many feeds, and every local file, have no validators); with
    pages, new and changed entries that are only a summary get their article page's text."""
    try:
        result = fetch_feed(source, etag=etag, last_modified=last_modified, policy=policy)
    except FeedError as exc:
        _honour_retry_after(exc)
        raise
    if result.not_modified:
        return FeedOutcome(source, "not_modified", http_status=result.status_code, etag=result.etag,
                           last_modified=result.last_modified)
    digest = hashlib.sha256(result.content).hexdigest()
    if digest == body_sha256:
        return FeedOutcome(source, "not_modified", http_status=result.status_code or None, etag=result.etag,
                           last_modified=result.last_modified, body_sha256=digest)
    parsed = parse_feed(result.content, feed_url=source, base_url=result.final_url, headers=result.headers)
    origins = {a.article_id: TextOrigin(parsed.text_sources[a.article_id]) for a in parsed.articles}
    if pages is not None and pages.rule.fetch_pages != "never":
        ids = [a.article_id for a in parsed.articles]
        with _database(pages.settings) as db:
            known, stored = reads.content_hashes(db, ids), reads.stored_pages(db, ids)
        articles, origins = complete_articles(parsed, pages.rule, pages.crawler, known, stored)
        parsed = replace(parsed, articles=articles)
    return FeedOutcome(source, "ok", parsed=parsed, http_status=result.status_code or None,
                       error=parsed.warning, etag=result.etag, last_modified=result.last_modified, body_sha256=digest,
                       origins=origins)


# A server's Retry-After (429, 503) is waited out before Prefect's own retry, up to this long: longer
# than that, the feed is better retried by the next scheduled run than by holding this one.
MAX_RETRY_AFTER_S = 30.0


def _honour_retry_after(exc: FeedError) -> None:
    """Before a retry that will happen, wait as long as the server asked (within MAX_RETRY_AFTER_S)."""
    from prefect.context import TaskRunContext

    context = TaskRunContext.get()
    if not (exc.transient and exc.retry_after and context is not None):
        return
    if context.task_run.run_count <= context.task.retries:
        time.sleep(min(exc.retry_after, MAX_RETRY_AFTER_S))


@task(name="extract-and-store", cache_policy=NO_CACHE)
def extract_and_store(articles: list[Article], settings: Settings, ticket: Ticket | None = None,
                      run_id: str | None = None, new: int = 0,
                      origins: list[TextOrigin] | None = None) -> list[FoundDeal]:
    """Extract a batch and store it with its articles in one transaction, which also adds it to the run's
    counts (new: how many of the articles are new); return the deals found."""
    extractions, version = extract_articles(articles, settings, ticket)
    with _database(settings) as db:
        writes.save_articles(db, articles, extractions, version, origins, run_id=run_id, new=new)
    return [FoundDeal(d.company, d.deal_type, d.amount, d.currency, a.url)
            for a, e in zip(articles, extractions) for d in e.deals]


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=8), validate_parameters=False)
def ingest(sources: list[str], settings: Settings) -> RunSummary:
    """One run over the given feeds (URLs or local files), alone on its database, recorded in `runs`."""
    started = time.monotonic()
    with exclusive_run(settings):
        summary = RunSummary(run_id=start_run(settings, "ingest"))
        try:
            _run(list(dict.fromkeys(sources)), settings, summary)
        except BaseException as exc:
            # The article and deal counts are left as the stored batches committed them: a batch still
            # in flight when a run stops may yet be stored, and counts itself if it is.
            feeds = {k: v for k, v in _counts(summary).items() if k.startswith("feeds_")}
            finish_run(settings, summary.run_id, "failed", error=failure_reason(exc), **feeds)
            raise
        finish_run(settings, summary.run_id, "partial" if summary.failures else "completed",
                   error="; ".join(f"{feed}: {reason}" for feed, reason in summary.failures)[:4000] or None,
                   **_counts(summary))
    summary.seconds = time.monotonic() - started
    publish_artifacts(summary)
    return summary


def _counts(summary: RunSummary) -> dict:
    return {"feeds_ok": summary.feeds_ok, "feeds_not_modified": summary.feeds_not_modified,
            "feeds_failed": len(summary.failures), "articles_new": summary.articles_new,
            "articles_updated": summary.articles_updated, "deals_found": summary.deals}


def _run(sources: list[str], settings: Settings, summary: RunSummary) -> None:
    """Feeds in groups of fetch_workers, fetched concurrently; the next group downloads while this
    one's articles are extracted and stored, so memory holds two groups and two batches, never the corpus."""
    with _database(settings) as db:
        states = {s: reads.feed_state(db, s) for s in sources}
    policy = FetchPolicy(timeout_s=settings.timeout_s, max_bytes=settings.max_feed_bytes,
                         allow_private=settings.allow_private, user_agent=user_agent(settings))
    crawler = Crawler(replace(policy, max_bytes=settings.max_page_bytes), interval_s=settings.page_interval_s,
                      host_concurrency=settings.page_host_concurrency, workers=settings.page_workers)
    jobs = {s: PageJob(crawler, page_rule(settings, s), settings) for s in sources}
    fetcher = fetch_and_parse.with_options(
        retries=settings.fetch_retries,
        retry_delay_seconds=[settings.retry_delay_s * 2 ** i for i in range(settings.fetch_retries)],
    )
    size = max(1, settings.fetch_workers)
    groups = [sources[i: i + size] for i in range(0, len(sources), size)]
    stream = _Stream(settings, summary, len(sources))
    try:
        futures = [fetcher.submit(s, *states[s], policy, jobs[s]) for s in groups[0]] if groups else []
        for n, group in enumerate(groups):
            current = futures
            if n + 1 < len(groups):
                futures = [fetcher.submit(s, *states[s], policy, jobs[s]) for s in groups[n + 1]]
            stream.add([_outcome(source, future) for source, future in zip(group, current)])
        stream.flush()
    finally:
        close_workers()
        crawler.close()


class _Stream:
    """New and changed articles queue up and are stored a batch at a time; a feed is recorded (its ETag
    saved) only once every article it brought is stored, so a run that dies before that fetches the
    feed in full next time instead of getting a 304 and losing them."""

    def __init__(self, settings: Settings, summary: RunSummary, feeds: int):
        self.settings, self.summary, self.feeds = settings, summary, feeds
        self.seen: set[str] = set()          # article ids met in this run: the first feed given wins
        self.pending: list[Article] = []
        self.new: set[str] = set()           # queued articles not stored before (the others are updates)
        self.origins: dict[str, TextOrigin] = {}   # of the pending articles
        self.queued = 0                      # articles queued for extraction so far in this run
        self.stored = 0
        self.unrecorded: list[tuple[FeedOutcome, int]] = []   # feed, and `queued` after its articles
        self.read = 0
        # Batches submitted and not yet collected. With worker processes, one more batch is queued
        # behind the one being extracted, so the workers go on while a batch is stored and the next
        # feeds are parsed; in-process extraction (one core) gains nothing from that and runs one.
        self.inflight: deque[tuple[object, list[Article]]] = deque()
        self.ahead = 1 if extracts_in_workers(settings) else 0
        self.order = BatchOrder()

    def add(self, outcomes: list[FeedOutcome]) -> None:
        fresh = []
        for o in outcomes:
            articles = [a for a in (o.parsed.articles if o.parsed else ()) if a.article_id not in self.seen]
            self.seen.update(a.article_id for a in articles)
            fresh.append(articles)
        known = _content_hashes([a for articles in fresh for a in articles], self.settings)
        for o, articles in zip(outcomes, fresh):
            changed = _changed(articles, known, self.summary, self.new)
            self.pending.extend(changed)
            for a in changed:
                self.origins[a.article_id] = origin = o.origins.get(a.article_id)
                _count_page(origin, self.summary)
            self.queued += len(changed)
            # Kept until recorded without its articles: only the feed's own fields are needed then.
            slim = replace(o, parsed=replace(o.parsed, articles=[])) if o.parsed else o
            self.unrecorded.append((slim, self.queued))
        self.read += len(outcomes)
        while len(self.pending) >= self.settings.batch_size:
            self._store(self.settings.batch_size)
        self._record()

    def flush(self) -> None:
        while self.pending:
            self._store(self.settings.batch_size)
        while self.inflight:
            self._collect()
        self._record()

    def _store(self, size: int) -> None:
        batch, self.pending = self.pending[:size], self.pending[size:]
        new = sum(a.article_id in self.new for a in batch)
        origins = [self.origins.pop(a.article_id, None) for a in batch]
        future = extract_and_store.submit(batch, self.settings, self.order.ticket(), self.summary.run_id, new, origins)
        self.inflight.append((future, batch))
        while len(self.inflight) > self.ahead:
            self._collect()

    def _collect(self) -> None:
        """Wait for the oldest batch in flight: batches are counted as stored in the order they came, and
        only once stored, so a run stopped part-way records no article it did not store."""
        future, batch = self.inflight.popleft()
        found = future.result()
        self.summary.found.extend(found)
        self.summary.deals += len(found)
        self.stored += len(batch)
        new = sum(a.article_id in self.new for a in batch)
        self.summary.articles_new += new
        self.summary.articles_updated += len(batch) - new
        self.new.difference_update(a.article_id for a in batch)
        progress(f"extracted {self.stored}/{self.queued} articles ({self.read}/{self.feeds} feeds read)")

    def _record(self) -> None:
        ready = [o for o, mark in self.unrecorded if mark <= self.stored]
        if not ready:
            return
        self.unrecorded = self.unrecorded[len(ready):]
        with _database(self.settings) as db:
            for o in ready:
                writes.record_feed(db, o.source, status=o.status, error=o.error, http_status=o.http_status,
                                   title=o.parsed.title if o.parsed else None, etag=o.etag,
                                   last_modified=o.last_modified, entries=o.parsed.entries if o.parsed else None,
                                   body_sha256=o.body_sha256)
        for o in ready:
            if o.status == "ok":
                self.summary.feeds_ok += 1
            elif o.status == "not_modified":
                self.summary.feeds_not_modified += 1
            else:
                self.summary.failures.append((o.source, o.error or "failed"))


# One batch is stored while the next is extracted, in another thread: the run's own connections take
# turns, so two batches never race their upserts (DuckDB would refuse one as a transaction conflict).
_db_turn = threading.Lock()


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    with _db_turn, Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        yield db


def _outcome(source: str, future) -> FeedOutcome:
    try:
        return future.result()
    except FeedError as exc:
        return FeedOutcome(source, exc.status, error=exc.reason)
    except Exception as exc:  # a bug or a parser crash on one feed must not stop the others
        return FeedOutcome(source, "failed", error=f"{type(exc).__name__}: {exc}"[:500])


def _count_page(origin: TextOrigin | None, summary: RunSummary) -> None:
    status = origin.page_status if origin else None
    if status == "ok":
        summary.pages_fetched += 1
    elif status == "not_modified":
        summary.pages_not_modified += 1
    elif status is not None:
        summary.pages_failed += 1


def _content_hashes(articles: list[Article], settings: Settings) -> dict[str, str]:
    if not articles:
        return {}
    with _database(settings) as db:
        return reads.content_hashes(db, (a.article_id for a in articles))


def _changed(articles: list[Article], known: dict[str, str], summary: RunSummary, new: set[str]) -> list[Article]:
    """New articles (their ids added to new) and those whose content changed; unchanged ones are not
    extracted again."""
    pending = []
    for a in articles:
        if a.article_id not in known:
            new.add(a.article_id)
            pending.append(a)
        elif known[a.article_id] != a.content_hash:
            pending.append(a)
        else:
            summary.articles_unchanged += 1
    return pending


ARTIFACT_DEALS = 1000   # rows in the deals table artifact; the database has them all


def publish_artifacts(summary: RunSummary) -> None:
    """A table of the deals found and a markdown summary, attached to this flow run in Prefect's UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    rows = [{"company": d.company, "type": d.deal_type, "amount": _money(d.amount, d.currency), "link": d.link or ""}
            for d in summary.found[:ARTIFACT_DEALS]]
    shown = "" if len(summary.found) <= ARTIFACT_DEALS else f" (first {ARTIFACT_DEALS} shown)"
    create_table_artifact(rows or [{"company": "", "type": "", "amount": "", "link": ""}], key="ingest-deals",
                          description=f"{len(summary.found)} deal(s) found in new and updated articles{shown}")
    create_markdown_artifact(run_markdown(summary), key="ingest-summary",
                             description=f"dealwire run {summary.run_id}")


def run_markdown(summary: RunSummary) -> str:
    lines = [
        f"# dealwire ingest: {'completed' if summary.ok else 'partial'}",
        "",
        "| | |", "| --- | --- |",
        f"| feeds ok | {summary.feeds_ok} |",
        f"| feeds not modified | {summary.feeds_not_modified} |",
        f"| feeds failed | {len(summary.failures)} |",
        f"| articles new | {summary.articles_new} |",
        f"| articles updated | {summary.articles_updated} |",
        f"| articles unchanged | {summary.articles_unchanged} |",
        f"| deals found | {summary.deals} |",
        f"| pages fetched / not modified / failed | {summary.pages_fetched} / {summary.pages_not_modified} / "
        f"{summary.pages_failed} |",
        f"| time | {summary.seconds:.1f} s |",
        f"| run_id | `{summary.run_id}` |",
    ]
    if summary.failures:
        lines += ["", "## Failed feeds", ""]
        lines += [f"- `{feed}`: {reason.replace(chr(10), ' ')}" for feed, reason in summary.failures]
    return "\n".join(lines) + "\n"


def _money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{currency or ''} {amount:,.0f}".strip()
