"""Storage on a real DuckDB file: migrations, read-only opens, idempotent upserts, per-article replacement."""
from __future__ import annotations

import hashlib

import pytest

from extractors.records import Article, Deal, Extraction, Mention, Participant
from storage import writes
from storage.db import Database, StorageError
from storage.migrations import MIGRATIONS, migrate

VERSION = "test.v1"


def article(article_id: str, text: str = "Acme AI raised $10 million.") -> Article:
    return Article(article_id=article_id, feed_url="https://news.example.com/feed",
                   url=f"https://news.example.com/{article_id}", guid=None, title=f"Story {article_id}",
                   author=None, published_at=None, content_hash=hashlib.sha1(text.encode()).hexdigest(), text=text)


def extraction(company: str) -> Extraction:
    deal = Deal("funding_round", company, evidence=f"{company} raised $10 million.", evidence_start=0,
                evidence_end=len(company) + 20, amount=10e6, currency="USD", amount_text="$10 million",
                participants=(Participant("Index Ventures", "investor"),))
    return Extraction(mentions=(Mention("ORG", company, 0, len(company)),), deals=(deal,))


def extraction_rows(db: Database, article_id: str) -> tuple[list[tuple], list[tuple]]:
    """An article's mentions, and its deals joined with their participants."""
    mentions = db.con.execute("SELECT label, text, start_char, end_char FROM mentions WHERE article_id = ?",
                              [article_id]).fetchall()
    deals = db.con.execute("SELECT deal_id, company, name, role FROM deals LEFT JOIN deal_participants "
                           "USING (deal_id) WHERE article_id = ?", [article_id]).fetchall()
    return mentions, deals


def count(db: Database, table: str) -> int:
    return db.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def db(tmp_path):
    with Database(tmp_path / "dealwire.duckdb") as database:
        yield database


def test_migrations_applied_twice_are_a_no_op(tmp_path):
    path = tmp_path / "dealwire.duckdb"
    Database(path).close()
    with Database(path) as db:
        assert migrate(db.con) == []
        names = db.con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    assert names == [(name,) for name, _ in MIGRATIONS]


def test_read_only_open_of_a_missing_file_raises_storage_error(tmp_path):
    with pytest.raises(StorageError, match="no such database"):
        Database(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


def test_saving_an_article_twice_leaves_one_row(db):
    for _ in range(2):
        writes.save_articles(db, [article("a1")], [extraction("Acme AI")], VERSION)
    assert [count(db, t) for t in ("articles", "mentions", "deals", "deal_participants")] == [1, 1, 1, 1]


def test_replace_extractions_touches_only_that_article(db):
    writes.save_articles(db, [article("a1"), article("a2")], [extraction("Acme AI"), extraction("Bolt")], VERSION)
    untouched = extraction_rows(db, "a2")
    writes.replace_extractions(db, ["a1"], [extraction("Cirrus Labs")], VERSION)
    assert extraction_rows(db, "a2") == untouched
    assert db.con.execute("SELECT company FROM deals WHERE article_id = 'a1'").fetchall() == [("Cirrus Labs",)]


def test_replace_extractions_drops_the_old_participants(db):
    writes.save_articles(db, [article("a1")], [extraction("Acme AI")], VERSION)
    writes.replace_extractions(db, ["a1"], [Extraction(mentions=(), deals=())], VERSION)
    assert [count(db, t) for t in ("mentions", "deals", "deal_participants")] == [0, 0, 0]


def test_companies_migration_fills_the_table_from_stored_mentions(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for name, sql in MIGRATIONS[:2]:  # a database from before the companies table
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
    con.execute("INSERT INTO articles (article_id, feed_url, fetched_at, updated_at, content_hash, text) "
                "VALUES ('a1', 'f', now(), now(), 'h', 'Nvidia Corp. and Nvidia')")
    con.execute("INSERT INTO mentions VALUES ('a1', 'ORG', 'Nvidia Corp.', 0, 12, 'Nvidia'), "
                "('a1', 'ORG', 'Nvidia', 17, 23, 'Nvidia')")
    con.close()
    with Database(path) as db:
        rows = db.con.execute("SELECT name, list_sort(aliases) FROM companies").fetchall()
    assert rows == [("Nvidia", ["Nvidia", "Nvidia Corp."])]


def test_deals_refer_to_canonical_companies(tmp_path):
    deal = Deal("funding_round", "Acme AI Inc.", evidence="Acme AI Inc. raised $10 million.", evidence_start=0,
                evidence_end=32, company_canonical="Acme AI",
                participants=(Participant("Index", "investor", "Index Ventures"),))
    with Database(tmp_path / "d.duckdb") as db:
        writes.save_articles(db, [article("a1")], [Extraction(mentions=(), deals=(deal,))], VERSION)
        joined = db.con.execute("SELECT d.company, c.name FROM deals d JOIN companies c ON c.name = d.company_canonical "
                                "UNION ALL SELECT p.name, c.name FROM deal_participants p "
                                "JOIN companies c ON c.name = p.canonical ORDER BY 1").fetchall()
    assert joined == [("Acme AI Inc.", "Acme AI"), ("Index", "Index Ventures")]
