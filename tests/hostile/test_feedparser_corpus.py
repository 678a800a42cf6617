"""feedparser's own 2,242-document test corpus, every file through one `dealwire ingest`.

The corpus comes from the feedparser 6.0.14 sdist, downloaded at test time (cached per version under
pytest's cache directory); without the package registry the test skips.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

import feedparser
import pytest

from tests.hostile.conftest import feed_rows, query, run_dealwire

VERSION = "6.0.14"
EXPECT = re.compile(rb"^Expect:\s*(.*)$", re.MULTILINE)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(request) -> list[Path]:
    """The corpus documents (.xml), extracted once into the pytest cache."""
    root = request.config.cache.mkdir(f"feedparser-corpus-{VERSION}")
    tests = root / f"feedparser-{VERSION}" / "tests"
    if not (root / "extracted").exists():
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
             "--disable-pip-version-check", f"feedparser=={VERSION}", "-d", str(root / "sdist")],
            capture_output=True, text=True, timeout=300)
        if download.returncode != 0:
            pytest.skip(f"cannot download the feedparser {VERSION} sdist: {download.stderr.strip()[-300:]}")
        (sdist,) = (root / "sdist").glob("feedparser-*.tar.gz")
        with tarfile.open(sdist) as tar:
            tar.extractall(root, members=[m for m in tar.getmembers() if "/tests/" in m.name], filter="data")
        (root / "extracted").touch()
    return sorted(tests.rglob("*.xml"))


@pytest.fixture(scope="module")
def ingested(corpus, dealwire_env, tmp_path_factory):
    """(result, database, seconds) of one ingest of every corpus document."""
    db = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    started = time.monotonic()
    result = run_dealwire("ingest", "--allow-private", "--db", str(db), *map(str, corpus),
                          env=dealwire_env, timeout=240)
    return result, db, time.monotonic() - started


def well_formed_with_entries(corpus: list[Path]) -> dict[str, list]:
    """Documents whose header says 'not bozo' and that have an entry with a title or text: path -> entries."""
    chosen = {}
    for path in corpus:
        content = path.read_bytes()
        expect = EXPECT.search(content[:4000])
        if not expect or not expect.group(1).startswith(b"not bozo"):
            continue
        entries = [e for e in feedparser.parse(content).entries if _words(e.get("title")) or _words(e.get("summary"))
                   or any(_words(c.get("value")) for c in e.get("content") or [])]
        if entries:
            chosen[str(path)] = entries
    return chosen


def _words(html: str | None) -> str:
    """Visible words, roughly: an entry of bare markup (an image, an empty span) has nothing to store."""
    return re.sub(r"<[^>]*>", " ", html or "").strip()


def test_every_document_gets_a_feeds_row_and_the_run_ends_in_bounded_time(corpus, ingested):
    result, db, seconds = ingested
    rows = feed_rows(db)
    assert len(corpus) > 2000
    assert set(rows) == {str(p) for p in corpus}
    assert {status for status, _, _ in rows.values()} <= {"ok", "failed", "refused"}
    assert result.returncode == 1  # the corpus holds broken documents on purpose
    assert seconds < 200


def test_every_failure_carries_its_reason(ingested):
    result, db, _ = ingested
    failed = {url: error for url, (status, error, _) in feed_rows(db).items() if status != "ok"}
    assert all(error for error in failed.values())
    assert all(f"failed: {url}: " in result.stdout for url in failed)
    reasons = Counter(re.sub(r":\d+:\d+", "", error.split(" (")[0])[:70] for error in failed.values())
    print(f"\n{len(failed)} failed:", *(f"  {n:4d} {why}" for why, n in reasons.most_common()), sep="\n")


def test_well_formed_documents_with_entries_are_stored(corpus, ingested):
    _, db, _ = ingested
    chosen = well_formed_with_entries(corpus)
    by_feed = {url for (url,) in query(db, "SELECT DISTINCT feed_url FROM articles")}
    # The same link in two documents is one article, stored under the first feed that carried it.
    titles = {t for (t,) in query(db, "SELECT DISTINCT title FROM articles")}
    urls = {u for (u,) in query(db, "SELECT DISTINCT lower(url) FROM articles WHERE url IS NOT NULL")}
    statuses = feed_rows(db)

    def stored(path: str, entries: list) -> bool:
        return statuses[path][0] == "ok" and (path in by_feed or any(
            " ".join((e.get("title") or "").split()) in titles or (e.get("link") or "").lower().rstrip("/") in urls
            for e in entries))

    missing = sorted(p for p, entries in chosen.items() if not stored(p, entries))
    print(f"\n{len(chosen) - len(missing)} of {len(chosen)} well-formed documents with entries stored")
    assert len(chosen) > 400
    assert len(missing) <= 0.05 * len(chosen), missing[:20]


def test_stored_text_has_no_control_characters(ingested):
    _, db, _ = ingested
    bad = query(db, r"SELECT article_id FROM articles WHERE regexp_matches(text || coalesce(title, ''), "
                    r"'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')")
    assert bad == []
