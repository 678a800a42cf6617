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
