"""Re-extract stored articles without fetching anything: one, the stale ones, or all.

Each batch's new extractions, its extractor version and the run's progress commit together, so an
interrupted pass loses nothing: `--stale` simply finds fewer stale articles next time, and `--all`
resumes after the last article its interrupted run committed (see resume_point).
"""
from __future__ import annotations

import json
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE

from extractors.records import Article, Extraction
from flows.config import Settings
from flows.errors import ArticleNotFound, UsageError
from flows.extract import BatchOrder, Ticket, extract_articles, extracts_in_workers
from flows.runs import exclusive_run, failure_reason, finish_run, progress, start_run
from storage import reads, writes
from storage.db import Database

CHANGE_KINDS = ("added", "removed", "changed", "unchanged")


@dataclass(frozen=True)
class ReprocessResult:
    article_id: str
    url: str | None
    deals_before: int
    deals_after: int
    version: str
    changes: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class ReprocessSummary:
    run_id: str
    scope: str
    version: str
    articles: int = 0
    deals_after: int = 0
    resumed_after: str | None = None
    changes: dict[str, dict[str, int]] = field(default_factory=dict)   # deal_type -> kind -> count
    seconds: float = 0.0


@flow(name="reprocess-article", validate_parameters=False)
def reprocess_article(ref: str, settings: Settings) -> ReprocessResult:
    """Re-extract one article, by id or URL, replacing its mentions and deals atomically."""
    with exclusive_run(settings):
        with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
            article = reads.find_article(db, ref)
        if article is None:
            raise ArticleNotFound(ref)
        run_id = start_run(settings, "reprocess", "article")
        try:
            result = replace_batch([article], extract_batch([article], settings), settings, run_id, 0, {})
        except BaseException as exc:
            finish_run(settings, run_id, "failed", error=failure_reason(exc))
            raise
        finish_run(settings, run_id, "completed", articles_reprocessed=1, deals_found=result.deals_after,
                   reprocess_changes=json.dumps(result.changes, sort_keys=True))
    return ReprocessResult(article.article_id, article.url, result.deals_before, result.deals_after,
                           result.version, result.changes)


@flow(name="reprocess", validate_parameters=False)
def reprocess_articles(scope: str, settings: Settings) -> ReprocessSummary:
    """Re-extract every stale article (scope 'stale': stored by another extractor version) or all of them."""
    from extractors.versions import VERSION

    if scope not in ("stale", "all"):
        raise UsageError(f"reprocess scope must be 'stale' or 'all', not {scope!r}")
    started = time.monotonic()
    stale_for = VERSION if scope == "stale" else None
    with exclusive_run(settings):
        with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
            after = resume_point(db, VERSION) if scope == "all" else None
            total = reads.count_articles(db, stale_for=stale_for, after=after)
        summary = ReprocessSummary(start_run(settings, "reprocess", scope), scope, VERSION, resumed_after=after)
        if after:
            # Recorded before any batch, so an interrupt of this run too still resumes from here.
            with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
                writes.update_run(db, summary.run_id, last_article_id=after)
            progress(f"resuming the interrupted `reprocess --all` after article {after}")
        try:
            _pass(settings, stale_for, after, summary, total)
        except BaseException as exc:
            finish_run(settings, summary.run_id, "failed", error=failure_reason(exc))
            raise
        finish_run(settings, summary.run_id, "completed", articles_reprocessed=summary.articles,
                   deals_found=summary.deals_after, reprocess_changes=json.dumps(summary.changes, sort_keys=True))
    summary.seconds = time.monotonic() - started
    return summary


def _pass(settings: Settings, stale_for: str | None, after: str | None, summary: ReprocessSummary, total: int) -> None:
    """Batch after batch, stored in order by this thread; with worker processes the next batch is
    extracted while this one is stored, so the workers never wait for the database."""
    ahead = 1 if extracts_in_workers(settings) else 0
    order = BatchOrder()
    in_flight: deque[tuple[list[Article], object]] = deque()
    batch = _next_batch(settings, stale_for, after)
    while batch or in_flight:
        if batch:
            in_flight.append((batch, extract_batch.submit(batch, settings, order.ticket())))
            batch = _next_batch(settings, stale_for, batch[-1].article_id)
        if in_flight and (not batch or len(in_flight) > ahead):
            stored, future = in_flight.popleft()
            result = replace_batch(stored, future.result(), settings, summary.run_id, summary.articles,
                                   summary.changes)
            summary.articles += len(stored)
            summary.deals_after += result.deals_after
            summary.changes = result.totals
            progress(f"reprocessed {summary.articles}/{total} articles")


def resume_point(db: Database, version: str) -> str | None:
    """Where `--all` carries on: after the last article committed by the latest `--all` run, if that run
    did not complete and used the same extractor version (otherwise the pass starts over)."""
    last = reads.last_run(db, "reprocess", "all")
    if last and last["status"] != "completed" and last["extractor_version"] == version:
        return last["last_article_id"]
    return None


def _next_batch(settings: Settings, stale_for: str | None, after: str | None) -> list[Article]:
    # A connection per batch, closed before extraction: analysts can read while a long pass runs.
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        return next(reads.iter_articles(db, stale_for=stale_for, after=after, batch_size=settings.batch_size), [])


@dataclass(frozen=True)
class BatchResult:
    deals_before: int
    deals_after: int
    changes: dict[str, dict[str, int]]    # this batch, per deal type
    totals: dict[str, dict[str, int]]     # the run so far, this batch included
    version: str


@task(name="extract-batch", cache_policy=NO_CACHE)
def extract_batch(articles: list[Article], settings: Settings, ticket: Ticket | None = None
                  ) -> tuple[list[Extraction], str]:
    """The extractions of a batch and their extractor version; run ahead of the batch being stored."""
    return extract_articles(articles, settings, ticket)


@task(name="replace-batch", cache_policy=NO_CACHE)
def replace_batch(articles: list[Article], extracted: tuple[list[Extraction], str], settings: Settings, run_id: str,
                  done: int, totals: dict[str, dict[str, int]]) -> BatchResult:
    """Replace a batch's rows with what extract_batch made of it; the run's progress (done + this batch)
    commits with them."""
    extractions, version = extracted
    ids = [a.article_id for a in articles]
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        old = reads.deal_rows(db, ids)
        changes = diff_deals(old, new_deal_rows(ids, extractions))
        cumulative = {t: Counter(c) for t, c in totals.items()}
        for deal_type, counter in changes.items():
            cumulative.setdefault(deal_type, Counter()).update(counter)
        writes.replace_extractions(db, ids, extractions, version, run_id=run_id, run_fields={
            "last_article_id": ids[-1], "articles_reprocessed": done + len(ids),
            "reprocess_changes": json.dumps(_plain(cumulative), sort_keys=True)})
    return BatchResult(len(old), sum(len(e.deals) for e in extractions), _plain(changes), _plain(cumulative),
                       version)


def new_deal_rows(article_ids: Sequence[str], extractions: Sequence[Extraction]) -> list[dict]:
    """The rows replace_extractions will store, in the shape of reads.deal_rows."""
    rows, seen = [], set()
    for article_id, extraction in zip(article_ids, extractions, strict=True):
        for d in extraction.deals:
            did = writes.deal_id(article_id, d)
            if did in seen:
                continue
            seen.add(did)
            rows.append({"deal_id": did, "article_id": article_id, "deal_type": d.deal_type, "company": d.company,
                         "amount": d.amount, "currency": d.currency, "amount_text": d.amount_text, "round": d.round,
                         "valuation": d.valuation, "status": d.status,
                         "participants": sorted([p.name, p.role] for p in d.participants)})
    return rows


def diff_deals(old: list[dict], new: list[dict]) -> dict[str, Counter]:
    """Per deal type, how many deals were added, removed, changed or left unchanged.

    A deal is the same deal if its deal_id matches (article, type, company, amount text), else if one
    old and one new deal share article, type and company (the amount was read differently); a
    matched pair is 'changed' when any stored field or participant differs.
    """
    counts: dict[str, Counter] = {}

    def count(deal_type: str, kind: str) -> None:
        counts.setdefault(deal_type, Counter())[kind] += 1

    old_by_id = {d["deal_id"]: d for d in old}
    unmatched_new = []
    for d in new:
        before = old_by_id.pop(d["deal_id"], None)
        if before is None:
            unmatched_new.append(d)
        else:
            count(d["deal_type"], "changed" if _differs(before, d) else "unchanged")
    by_key: dict[tuple, list[dict]] = {}
    for d in old_by_id.values():
        by_key.setdefault(_key(d), []).append(d)
    for d in unmatched_new:
        candidates = by_key.get(_key(d))
        if candidates:
            candidates.pop()
            count(d["deal_type"], "changed")
        else:
            count(d["deal_type"], "added")
    for rest in by_key.values():
        for d in rest:
            count(d["deal_type"], "removed")
    return counts


def _key(deal: dict) -> tuple:
    return deal["article_id"], deal["deal_type"], deal["company"].casefold()


def _differs(a: dict, b: dict) -> bool:
    return any(a[k] != b[k] for k in reads.DEAL_FIELDS)


def _plain(counts: dict[str, Counter]) -> dict[str, dict[str, int]]:
    return {t: {k: c.get(k, 0) for k in CHANGE_KINDS} for t, c in sorted(counts.items())}
