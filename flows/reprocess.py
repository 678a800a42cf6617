"""Re-extract stored articles without fetching anything."""
from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.config import Settings
from flows.errors import ArticleError
from flows.extract import extract_articles
from storage import reads, writes
from storage.db import Database


@dataclass(frozen=True)
class ReprocessResult:
    article_id: str
    url: str | None
    deals_before: int
    deals_after: int
    version: str


@flow(name="reprocess-article", validate_parameters=False)
def reprocess_article(ref: str, settings: Settings) -> ReprocessResult:
    """Re-extract one article, by id or URL, replacing its mentions and deals atomically."""
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        article = reads.find_article(db, ref)
        if article is None:
            raise ArticleError(ref, "not in the database (give an article_id or URL from the articles table)")
        before = reads.deal_counts(db, [article.article_id])
    extractions, version = extract_articles([article], settings)
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        writes.replace_extractions(db, [article.article_id], extractions, version)
    return ReprocessResult(article.article_id, article.url, before, len(extractions[0].deals), version)
