"""Bulk writes, keyed by stable ids: a re-run adds nothing, a changed article replaces its rows."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import pyarrow as pa

from extractors.records import Article, Deal, Extraction
from storage.db import Database


def deal_id(article_id: str, deal: Deal) -> str:
    key = "\x1f".join([article_id, deal.deal_type, deal.company.casefold(), deal.amount_text or ""])
    return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TextOrigin:
    """Where an article's text came from, and how its page fetch went (page_status None: not fetched)."""
    text_source: str                    # feed_content | feed_summary | page
    page_status: str | None = None      # ok | not_modified | failed | refused | disallowed
    page_error: str | None = None
    page_http_status: int | None = None
    page_etag: str | None = None
    page_last_modified: str | None = None


def record_feed(db: Database, feed_url: str, *, status: str, error: str | None = None, title: str | None = None,
                etag: str | None = None, last_modified: str | None = None, http_status: int | None = None,
                entries: int | None = None, body_sha256: str | None = None) -> None:
    """Remember how the last fetch of a feed went; failures count up until the next success."""
    ok = status in ("ok", "not_modified")
    db.con.execute(
        """
        INSERT INTO feeds (feed_url, title, etag, last_modified, last_fetched_at, last_status, last_error,
                           last_http_status, consecutive_failures, last_ok_at, entries_seen, body_sha256)
        VALUES ($url, $title, $etag, $lm, now(), $status, $error, $http, CASE WHEN $ok THEN 0 ELSE 1 END,
                CASE WHEN $ok THEN now() END, $entries, CASE WHEN $ok THEN $body END)
        ON CONFLICT (feed_url) DO UPDATE SET
            title = coalesce(excluded.title, feeds.title),
            etag = CASE WHEN $ok THEN coalesce(excluded.etag, feeds.etag) ELSE feeds.etag END,
            last_modified = CASE WHEN $ok THEN coalesce(excluded.last_modified, feeds.last_modified) ELSE feeds.last_modified END,
            last_fetched_at = excluded.last_fetched_at,
            last_status = excluded.last_status,
            last_error = excluded.last_error,
            last_http_status = excluded.last_http_status,
            consecutive_failures = CASE WHEN $ok THEN 0 ELSE feeds.consecutive_failures + 1 END,
            last_ok_at = CASE WHEN $ok THEN excluded.last_ok_at ELSE feeds.last_ok_at END,
            entries_seen = coalesce(excluded.entries_seen, feeds.entries_seen),
            body_sha256 = CASE WHEN $ok THEN coalesce(excluded.body_sha256, feeds.body_sha256) ELSE feeds.body_sha256 END
        """,
        {"url": feed_url, "title": title, "etag": etag, "lm": last_modified, "status": status, "error": error,
         "http": http_status, "ok": ok, "entries": entries, "body": body_sha256},
    )


def save_articles(db: Database, articles: Sequence[Article], extractions: Sequence[Extraction], version: str,
                  origins: Sequence[TextOrigin | None] | None = None, *, run_id: str | None = None,
                  new: int = 0) -> None:
    """Upsert articles (with where each text came from, when known) and replace their extractions, all in
    one transaction; with run_id, that run's counts grow by this batch (new of its articles new, the rest
    updated) in the same transaction."""
    if not articles:
        return
    now = datetime.now(timezone.utc)
    origins = list(origins) if origins is not None else [None] * len(articles)
    none = TextOrigin(text_source=None)
    origins = [o or none for o in origins]
    table = pa.table({
        "article_id": [a.article_id for a in articles],
        "feed_url": [a.feed_url for a in articles],
        "url": [a.url for a in articles],
        "guid": [a.guid for a in articles],
        "title": [a.title for a in articles],
        "author": [a.author for a in articles],
        "published_at": pa.array([a.published_at for a in articles], pa.timestamp("us", tz="UTC")),
        "content_hash": [a.content_hash for a in articles],
        "text": [a.text for a in articles],
        "text_source": pa.array([o.text_source for o in origins], pa.string()),
        "page_status": pa.array([o.page_status for o in origins], pa.string()),
        "page_error": pa.array([o.page_error for o in origins], pa.string()),
        "page_http_status": pa.array([o.page_http_status for o in origins], pa.int32()),
        "page_etag": pa.array([o.page_etag for o in origins], pa.string()),
        "page_last_modified": pa.array([o.page_last_modified for o in origins], pa.string()),
    })
    with db.atomic() as con:
        con.register("incoming_articles", table)
        try:
            con.execute(
                """
                INSERT INTO articles (article_id, feed_url, url, guid, title, author, published_at,
                                      fetched_at, updated_at, content_hash, text, text_source, page_status,
                                      page_error, page_http_status, page_etag, page_last_modified, page_fetched_at)
                SELECT article_id, feed_url, url, guid, title, author, published_at, $now, $now, content_hash, text,
                       text_source, page_status, page_error, page_http_status, page_etag, page_last_modified,
                       CASE WHEN page_status IS NOT NULL THEN $now END
                FROM incoming_articles
                ON CONFLICT (article_id) DO UPDATE SET
                    url = excluded.url, guid = excluded.guid, title = excluded.title, author = excluded.author,
                    published_at = excluded.published_at, updated_at = excluded.updated_at,
                    content_hash = excluded.content_hash, text = excluded.text,
                    text_source = excluded.text_source, page_status = excluded.page_status,
                    page_error = excluded.page_error, page_http_status = excluded.page_http_status,
                    page_etag = excluded.page_etag, page_last_modified = excluded.page_last_modified,
                    page_fetched_at = excluded.page_fetched_at
                """,
                {"now": now},
            )
        finally:
            con.unregister("incoming_articles")
        _replace_extractions(con, [a.article_id for a in articles], extractions, version, now)
        if run_id is not None:
            con.execute("UPDATE runs SET articles_new = coalesce(articles_new, 0) + $new, "
                        "articles_updated = coalesce(articles_updated, 0) + $updated, "
                        "deals_found = coalesce(deals_found, 0) + $deals WHERE run_id = $run",
                        {"new": new, "updated": len(articles) - new,
                         "deals": sum(len(e.deals) for e in extractions), "run": run_id})


def replace_extractions(db: Database, article_ids: Sequence[str], extractions: Sequence[Extraction],
                        version: str, *, run_id: str | None = None, run_fields: dict | None = None) -> None:
    """Swap the stored mentions and deals of these articles for new ones, atomically; with run_id,
    update that run's row in the same transaction (its progress commits with the batch it describes)."""
    with db.atomic() as con:
        _replace_extractions(con, list(article_ids), extractions, version, datetime.now(timezone.utc))
        if run_id is not None:
            _update_run(con, run_id, run_fields or {})


RUN_FIELDS = ("status", "feeds_ok", "feeds_not_modified", "feeds_failed", "articles_new", "articles_updated",
              "articles_reprocessed", "deals_found", "extractor_version", "prefect_flow_run_id",
              "last_article_id", "reprocess_changes", "error")


def start_run(db: Database, run_id: str, flow: str, *, scope: str | None = None,
              extractor_version: str | None = None, prefect_flow_run_id: str | None = None) -> None:
    """Record a run as running. Call it holding the run lock: any other row still 'running' then
    belongs to a process that died without finishing, and is marked failed."""
    with db.atomic() as con:
        con.execute("UPDATE runs SET status = 'failed', finished_at = now(), "
                    "error = coalesce(error, 'interrupted: the process ended before the run finished') "
                    "WHERE status = 'running'")
        con.execute("INSERT INTO runs (run_id, flow, scope, started_at, status, extractor_version, "
                    "prefect_flow_run_id) VALUES (?, ?, ?, now(), 'running', ?, ?)",
                    [run_id, flow, scope, extractor_version, prefect_flow_run_id])


def finish_run(db: Database, run_id: str, status: str, **fields) -> None:
    """Record how a run ended: status completed, partial or failed, with its counts."""
    with db.atomic() as con:
        _update_run(con, run_id, {**fields, "status": status}, finished=True)


def update_run(db: Database, run_id: str, **fields) -> None:
    with db.atomic() as con:
        _update_run(con, run_id, fields)


def _update_run(con, run_id: str, fields: dict, finished: bool = False) -> None:
    unknown = set(fields) - set(RUN_FIELDS)
    if unknown:
        raise ValueError(f"not columns of runs: {sorted(unknown)}")
    sets = [f"{name} = ${name}" for name in fields] + (["finished_at = now()"] if finished else [])
    if sets:
        con.execute(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = $run_id", {**fields, "run_id": run_id})


def _replace_extractions(con, article_ids: list[str], extractions: Sequence[Extraction], version: str,
                         now: datetime) -> None:
    ids = pa.table({"article_id": article_ids})
    mentions = {"article_id": [], "label": [], "text": [], "start_char": [], "end_char": [], "canonical": []}
    deals = {k: [] for k in ("deal_id", "article_id", "deal_type", "company", "amount", "currency", "amount_text",
                             "round", "valuation", "status", "evidence", "evidence_start", "evidence_end",
                             "company_canonical")}
    parts = {"deal_id": [], "name": [], "role": [], "canonical": []}
    for article_id, extraction in zip(article_ids, extractions, strict=True):
        for m in extraction.mentions:
            for key, value in (("article_id", article_id), ("label", m.label), ("text", m.text),
                               ("start_char", m.start_char), ("end_char", m.end_char), ("canonical", m.canonical)):
                mentions[key].append(value)
        seen: set[str] = set()
        for d in extraction.deals:
            did = deal_id(article_id, d)
            if did in seen:
                continue
            seen.add(did)
            row = {"deal_id": did, "article_id": article_id, "deal_type": d.deal_type, "company": d.company,
                   "amount": d.amount, "currency": d.currency, "amount_text": d.amount_text, "round": d.round,
                   "valuation": d.valuation, "status": d.status, "evidence": d.evidence,
                   "evidence_start": d.evidence_start, "evidence_end": d.evidence_end,
                   "company_canonical": d.company_canonical or d.company}
            for key, value in row.items():
                deals[key].append(value)
            for p in d.participants:
                parts["deal_id"].append(did)
                parts["name"].append(p.name)
                parts["role"].append(p.role)
                parts["canonical"].append(p.canonical or p.name)
    tables = {
        "replaced_ids": ids,
        "new_mentions": pa.table(mentions, schema=pa.schema([
            ("article_id", pa.string()), ("label", pa.string()), ("text", pa.string()),
            ("start_char", pa.int32()), ("end_char", pa.int32()), ("canonical", pa.string())])),
        "new_deals": pa.table(deals, schema=pa.schema([
            ("deal_id", pa.string()), ("article_id", pa.string()), ("deal_type", pa.string()),
            ("company", pa.string()), ("amount", pa.float64()), ("currency", pa.string()),
            ("amount_text", pa.string()), ("round", pa.string()), ("valuation", pa.float64()),
            ("status", pa.string()), ("evidence", pa.string()), ("evidence_start", pa.int32()),
            ("evidence_end", pa.int32()), ("company_canonical", pa.string())])),
        "new_participants": pa.table(parts, schema=pa.schema([
            ("deal_id", pa.string()), ("name", pa.string()), ("role", pa.string()), ("canonical", pa.string())])),
    }
    for name, table in tables.items():
        con.register(name, table)
    try:
        con.execute("DELETE FROM deal_participants WHERE deal_id IN "
                    "(SELECT deal_id FROM deals WHERE article_id IN (SELECT article_id FROM replaced_ids))")
        con.execute("DELETE FROM deals WHERE article_id IN (SELECT article_id FROM replaced_ids)")
        con.execute("DELETE FROM mentions WHERE article_id IN (SELECT article_id FROM replaced_ids)")
        con.execute("INSERT INTO mentions SELECT * FROM new_mentions")
        con.execute("INSERT INTO deals BY NAME SELECT *, $v AS extractor_version, $now AS extracted_at FROM new_deals",
                    {"v": version, "now": now})
        con.execute("INSERT INTO deal_participants BY NAME SELECT * FROM new_participants")
        # One company, one name: every canonical name in use is a row, with the spellings that led to it.
        con.execute(
            """
            INSERT INTO companies
            SELECT name, list_distinct(list(alias)), $now FROM (
                SELECT canonical AS name, text AS alias FROM new_mentions WHERE label = 'ORG' AND canonical IS NOT NULL
                UNION ALL SELECT company_canonical, company FROM new_deals
                UNION ALL SELECT canonical, name FROM new_participants)
            GROUP BY name
            ON CONFLICT (name) DO UPDATE SET aliases = list_distinct(list_concat(companies.aliases, excluded.aliases))
            """,
            {"now": now},
        )
        con.execute("UPDATE articles SET extractor_version = $v, extracted_at = $now "
                    "WHERE article_id IN (SELECT article_id FROM replaced_ids)", {"v": version, "now": now})
    finally:
        for name in tables:
            con.unregister(name)
