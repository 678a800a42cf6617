"""The 22 real feeds in ../shared/feeds/real, all through one `dealwire ingest`."""
from __future__ import annotations

import pytest

from tests.hostile.conftest import SHARED, feed_rows, query, run_dealwire

REAL = SHARED / "feeds" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} absent (needs ../shared)")


def test_real_feeds_ingest_cleanly(dealwire_env, tmp_path):
    feeds = sorted(str(p) for p in REAL.glob("*.xml"))
    db = tmp_path / "real.duckdb"
    result = run_dealwire("ingest", "--db", str(db), *feeds, env=dealwire_env)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert {url: status for url, (status, _, _) in feed_rows(db).items()} == {f: "ok" for f in feeds}
    per_feed = dict(query(db, "SELECT feed_url, count(*) FROM articles GROUP BY ALL"))
    assert set(per_feed) == set(feeds)
    assert query(db, "SELECT count(*) FROM articles WHERE text = '' OR extracted_at IS NULL") == [(0,)]
