"""Reads the flows need; analysts use plain SQL (`dealwire sql`)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from extractors.records import Article
from storage.db import Database

_ARTICLE_COLUMNS = "article_id, feed_url, url, guid, title, author, published_at, content_hash, text"


def feed_state(db: Database, feed_url: str) -> tuple[str | None, str | None]:
    """The validators remembered for conditional GET: (etag, last_modified)."""
    row = db.con.execute("SELECT etag, last_modified FROM feeds WHERE feed_url = ?", [feed_url]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def content_hashes(db: Database, article_ids: Iterable[str]) -> dict[str, str]:
    ids = list(article_ids)
    if not ids:
        return {}
    rows = db.con.execute(
        "SELECT article_id, content_hash FROM articles WHERE article_id IN (SELECT unnest($ids))", {"ids": ids}
    ).fetchall()
    return dict(rows)


def find_article(db: Database, ref: str) -> Article | None:
    """An article by its id or its URL (trailing slash and case of scheme/host forgiven)."""
    row = db.con.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE article_id = $ref OR url = $ref "
        "OR lower(rtrim(url, '/')) = lower(rtrim($ref, '/')) ORDER BY article_id = $ref DESC LIMIT 1",
        {"ref": ref},
    ).fetchone()
    return Article(*row) if row else None


def iter_articles(db: Database, *, stale_for: str | None = None, batch_size: int = 500) -> Iterator[list[Article]]:
    """Stored articles in id order, in batches; with stale_for, only those extracted by another version."""
    where = "WHERE extractor_version IS DISTINCT FROM $v" if stale_for else ""
    params = {"v": stale_for} if stale_for else {}
    after = ""
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
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall() if columns else []
