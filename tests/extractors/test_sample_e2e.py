"""The bundled sample feed, ingested by the real flow: the seed article yields its 11 deals."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest

SAMPLE = Path(__file__).resolve().parents[2] / "seeds" / "samples" / "ai-infra-news.xml"
SEED_URL = "https://news.example/seed/ai-super-grid"

# The deals of the article dealwire started from, as an analyst records them (type, company, amount).
SEED_DEALS = {
    ("funding_round", "Nscale", None), ("funding_round", "Thinking Machines", None),
    ("supply_agreement", "Nvidia", None), ("capex_commitment", "Amazon", None),
    ("capex_commitment", "OpenAI", None), ("funding_round", "Nexthop AI", 500e6),
    ("funding_round", "Eridu", 200e6), ("funding_round", "Amber", 30e6),
    ("funding_round", "Bittensor", 5e6), ("funding_round", "Standard Kernel", 20e6),
    ("funding_round", "General Tensor", 5e6),
}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, prefect_api):
    from tests.conftest import local_settings

    settings = local_settings(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    summary = ingest([str(SAMPLE)], settings)
    assert summary.ok
    return settings.db_path


def test_seed_article_yields_its_eleven_deals(sample_db):
    with duckdb.connect(sample_db, read_only=True) as con:
        rows = con.execute("SELECT deal_type, company, amount FROM deals JOIN articles USING (article_id) "
                           "WHERE url = ?", [SEED_URL]).fetchall()
    assert set(rows) == SEED_DEALS


def test_investor_of_a_backed_company_is_recorded(sample_db):
    with duckdb.connect(sample_db, read_only=True) as con:
        parts = con.execute("SELECT name, role FROM deal_participants JOIN deals USING (deal_id) "
                            "WHERE company = 'Nscale'").fetchall()
    assert parts == [("Nvidia", "investor")]


def test_reprocess_after_an_extractor_change_restores_deals_and_moves_the_version(sample_db):
    """What an older extractor left (no deals, an old version) is replaced by the current one's output."""
    from extractors.pipeline import VERSION
    from flows.reprocess import reprocess_article
    from tests.conftest import local_settings

    with duckdb.connect(sample_db) as con:
        [(article_id,)] = con.execute("SELECT article_id FROM articles WHERE url = ?", [SEED_URL]).fetchall()
        con.execute("DELETE FROM deal_participants WHERE deal_id IN (SELECT deal_id FROM deals WHERE article_id = ?)",
                    [article_id])
        con.execute("DELETE FROM deals WHERE article_id = ?", [article_id])
        con.execute("UPDATE articles SET extractor_version = 'companies.v0+money.v0+deals.v0' WHERE article_id = ?",
                    [article_id])
    reprocess_article(SEED_URL, local_settings(sample_db))
    with duckdb.connect(sample_db, read_only=True) as con:
        version, deals = con.execute("SELECT extractor_version, (SELECT count(*) FROM deals WHERE article_id = ?) "
                                     "FROM articles WHERE article_id = ?", [article_id, article_id]).fetchone()
    assert (version, deals) == (VERSION, len(SEED_DEALS))
