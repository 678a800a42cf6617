"""Reads the flows need; analysts use plain SQL (`dealwire sql`)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from extractors.records import Article
from storage.db import Database

_ARTICLE_COLUMNS = "article_id, feed_url, url, guid, title, author, published_at, content_hash, text"


def feed_state(db: Database, feed_url: str) -> tuple[str | None, str | None, str | None]:
    """What the last complete fetch left to compare with: (etag, last_modified, body_sha256)."""
    row = db.con.execute("SELECT etag, last_modified, body_sha256 FROM feeds WHERE feed_url = ?",
                         [feed_url]).fetchone()
    return (row[0], row[1], row[2]) if row else (None, None, None)


def content_hashes(db: Database, article_ids: Iterable[str]) -> dict[str, str]:
    ids = list(article_ids)
    if not ids:
        return {}
    rows = db.con.execute(
        "SELECT article_id, content_hash FROM articles WHERE article_id IN (SELECT unnest($ids))", {"ids": ids}
    ).fetchall()
    return dict(rows)


def stored_pages(db: Database, article_ids: Iterable[str]) -> dict[str, dict]:
    """For the articles stored with their page's text: article_id -> the page's validators (page_etag,
    page_last_modified) and what was taken from it (text, title, author, published_at)."""
    ids = list(article_ids)
    if not ids:
        return {}
    cursor = db.con.execute(
        "SELECT article_id, page_etag, page_last_modified, text, title, author, published_at FROM articles "
        "WHERE article_id IN (SELECT unnest($ids)) AND text_source = 'page'", {"ids": ids})
    names = [d[0] for d in cursor.description][1:]
    return {row[0]: dict(zip(names, row[1:])) for row in cursor.fetchall()}


def find_article(db: Database, ref: str) -> Article | None:
    """An article by its id or its URL (trailing slash and case of scheme/host forgiven)."""
    row = db.con.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE article_id = $ref OR url = $ref "
        "OR lower(rtrim(url, '/')) = lower(rtrim($ref, '/')) ORDER BY article_id = $ref DESC LIMIT 1",
        {"ref": ref},
    ).fetchone()
    return Article(*row) if row else None


def iter_articles(db: Database, *, stale_for: str | None = None, batch_size: int = 500,
                  after: str | None = None) -> Iterator[list[Article]]:
    """Stored articles in id order, in batches; with stale_for, only those extracted by another version;
    with after, only those whose article_id sorts after it (where an interrupted pass resumes)."""
    where = "WHERE extractor_version IS DISTINCT FROM $v" if stale_for else ""
    params = {"v": stale_for} if stale_for else {}
    after = after or ""
    while True:
        cond = (f"{where} {'AND' if where else 'WHERE'} article_id > $after") if after else where
        rows = db.con.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles {cond} ORDER BY article_id LIMIT {int(batch_size)}",
            {**params, **({"after": after} if after else {})},
        ).fetchall()
        if not rows:
            return
        yield [Article(*r) for r in rows]
        after = rows[-1][0]


def count_articles(db: Database, *, stale_for: str | None = None, after: str | None = None) -> int:
    """How many articles iter_articles would yield with the same arguments."""
    return db.con.execute(
        "SELECT count(*) FROM articles WHERE ($v IS NULL OR extractor_version IS DISTINCT FROM $v) "
        "AND ($after IS NULL OR article_id > $after)", {"v": stale_for, "after": after}).fetchone()[0]


DEAL_FIELDS = ("deal_id", "article_id", "deal_type", "company", "amount", "currency", "amount_text", "round",
               "valuation", "status", "participants")


def deal_rows(db: Database, article_ids: Iterable[str]) -> list[dict]:
    """The stored deals of these articles as dicts of DEAL_FIELDS; participants a sorted list of [name, role]."""
    ids = list(article_ids)
    if not ids:
        return []
    rows = db.con.execute(
        """
        SELECT d.deal_id, d.article_id, d.deal_type, d.company, d.amount, d.currency, d.amount_text, d.round,
               d.valuation, d.status,
               list([p.name, p.role] ORDER BY p.name, p.role) FILTER (WHERE p.name IS NOT NULL)
        FROM deals d LEFT JOIN deal_participants p USING (deal_id)
        WHERE d.article_id IN (SELECT unnest($ids))
        GROUP BY ALL ORDER BY d.deal_id
        """, {"ids": ids}).fetchall()
    return [dict(zip(DEAL_FIELDS, (*r[:-1], [list(p) for p in r[-1] or []]))) for r in rows]


def last_run(db: Database, flow: str, scope: str | None = None) -> dict | None:
    """The most recent run of a flow (and scope), as a dict of its columns."""
    cursor = db.con.execute("SELECT * FROM runs WHERE flow = $flow AND scope IS NOT DISTINCT FROM $scope "
                            "ORDER BY started_at DESC LIMIT 1", {"flow": flow, "scope": scope})
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def deal_counts(db: Database, article_ids: Iterable[str]) -> int:
    ids = list(article_ids)
    if not ids:
        return 0
    return db.con.execute(
        "SELECT count(*) FROM deals WHERE article_id IN (SELECT unnest($ids))", {"ids": ids}
    ).fetchone()[0]


def run_query(db: Database, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one statement; return column names and rows."""
    cursor = db.con.execute(sql)
    if cursor is None:      # nothing but comments or semicolons
        return [], []
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall() if columns else []
