"""Schema migrations: named, ordered, each applied once in a transaction with its record.

The tables are a public interface for analysts (documented in README.md). Change them only by
appending a migration here; never edit one that has shipped.
"""
from __future__ import annotations

import duckdb

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE feeds (
            feed_url             VARCHAR PRIMARY KEY,  -- as configured: an http(s) URL or a local path
            title                VARCHAR,
            etag                 VARCHAR,              -- remembered for conditional GET
            last_modified        VARCHAR,
            last_fetched_at      TIMESTAMPTZ,
            last_status          VARCHAR,              -- ok | not_modified | failed | refused
            last_error           VARCHAR,              -- why the last fetch failed, or a parser warning
            last_http_status     INTEGER,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            last_ok_at           TIMESTAMPTZ,
            entries_seen         INTEGER
        );
        CREATE TABLE articles (
            article_id        VARCHAR PRIMARY KEY,     -- sha1 of the canonical URL (or guid), 16 hex digits
            feed_url          VARCHAR NOT NULL,        -- the feed it was first seen in
            url               VARCHAR,
            guid              VARCHAR,
            title             VARCHAR,
            author            VARCHAR,
            published_at      TIMESTAMPTZ,
            fetched_at        TIMESTAMPTZ NOT NULL,    -- first stored
            updated_at        TIMESTAMPTZ NOT NULL,    -- last time its content changed
            content_hash      VARCHAR NOT NULL,
            text              VARCHAR NOT NULL,
            extractor_version VARCHAR,                 -- of the extraction stored for it
            extracted_at      TIMESTAMPTZ
        );
        CREATE TABLE mentions (
            article_id VARCHAR NOT NULL,
            label      VARCHAR NOT NULL,               -- spaCy label: ORG, MONEY, PERSON, GPE, ...
            text       VARCHAR NOT NULL,
            start_char INTEGER NOT NULL,               -- offsets into articles.text
            end_char   INTEGER NOT NULL,
            canonical  VARCHAR                         -- ORG: the company's canonical name
        );
        CREATE TABLE deals (
            deal_id           VARCHAR PRIMARY KEY,     -- stable: article + type + company + amount text
            article_id        VARCHAR NOT NULL,
            deal_type         VARCHAR NOT NULL,
            company           VARCHAR NOT NULL,        -- canonical name of the principal company
            amount            DOUBLE,                  -- in units of currency
            currency          VARCHAR,                 -- ISO 4217
            amount_text       VARCHAR,                 -- the words the amount came from
            round             VARCHAR,
            valuation         DOUBLE,                  -- same currency as amount
            status            VARCHAR NOT NULL,        -- announced | rumored
            evidence          VARCHAR NOT NULL,        -- the sentence stating the deal
            evidence_start    INTEGER NOT NULL,        -- its offsets in articles.text
            evidence_end      INTEGER NOT NULL,
            extractor_version VARCHAR NOT NULL,
            extracted_at      TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE deal_participants (
            deal_id VARCHAR NOT NULL,
            name    VARCHAR NOT NULL,
            role    VARCHAR NOT NULL                   -- investor, lead_investor, lender, acquirer, customer, partner, grantor
        );
        """,
    ),
    (
        "0002_runs",
        """
        CREATE TABLE runs (
            run_id              VARCHAR PRIMARY KEY,   -- a UUID per run
            flow                VARCHAR NOT NULL,      -- ingest | reprocess
            scope               VARCHAR,               -- reprocess: article | stale | all
            started_at          TIMESTAMPTZ NOT NULL,
            finished_at         TIMESTAMPTZ,           -- NULL while running
            status              VARCHAR NOT NULL,      -- running | completed | partial | failed
            feeds_ok            INTEGER,
            feeds_not_modified  INTEGER,
            feeds_failed        INTEGER,
            articles_new        INTEGER,
            articles_updated    INTEGER,
            articles_reprocessed INTEGER,
            deals_found         INTEGER,               -- in new and updated (or reprocessed) articles
            extractor_version   VARCHAR,
            prefect_flow_run_id VARCHAR,
            last_article_id     VARCHAR,               -- reprocess: last article committed, where a re-run resumes
            reprocess_changes   VARCHAR,               -- reprocess: JSON {deal_type: {added, removed, changed, unchanged}}
            error               VARCHAR
        );
        """,
    ),
    (
        "0003_companies",
        """
        CREATE TABLE companies (
            name          VARCHAR PRIMARY KEY,     -- canonical name: the company list's, or the fullest form found
            aliases       VARCHAR[] NOT NULL,      -- every spelling seen in articles that resolved to it
            first_seen_at TIMESTAMPTZ NOT NULL
        );
        ALTER TABLE deals ADD COLUMN company_canonical VARCHAR;        -- companies.name of the principal company
        ALTER TABLE deal_participants ADD COLUMN canonical VARCHAR;    -- companies.name of the participant
        INSERT INTO companies
            SELECT m.canonical, list_distinct(list(m.text)), min(a.fetched_at)
            FROM mentions m JOIN articles a USING (article_id)
            WHERE m.label = 'ORG' AND m.canonical IS NOT NULL GROUP BY m.canonical;
        """,
    ),
    (
        "0004_feed_body_hash",
        """
        -- sha-256 of the last feed body whose articles were all stored: the same bytes next time are
        -- not parsed again (last_status not_modified), for feeds that send no ETag or Last-Modified
        ALTER TABLE feeds ADD COLUMN body_sha256 VARCHAR;
        """,
    ),
    (
        "0005_article_text_source",
        """
        -- where articles.text came from, and how the article's page fetch went; NULL on rows stored before
        ALTER TABLE articles ADD COLUMN text_source VARCHAR;        -- feed_content | feed_summary | page
        ALTER TABLE articles ADD COLUMN page_status VARCHAR;        -- NULL (not fetched) | ok | not_modified | failed | refused | disallowed
        ALTER TABLE articles ADD COLUMN page_error VARCHAR;         -- why the page could not be used
        ALTER TABLE articles ADD COLUMN page_http_status INTEGER;
        ALTER TABLE articles ADD COLUMN page_etag VARCHAR;          -- remembered for conditional GET
        ALTER TABLE articles ADD COLUMN page_last_modified VARCHAR;
        ALTER TABLE articles ADD COLUMN page_fetched_at TIMESTAMPTZ;
        """,
    ),
]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {name for (name,) in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        applied.append(name)
    return applied
