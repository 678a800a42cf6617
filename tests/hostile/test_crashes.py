"""SIGKILL at random moments: the database always opens, never holds a half-stored batch, and a final run
ends with exactly the rows of a clean run. `reprocess` killed mid-way leaves the old or the new extraction."""
from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest

from tests.conftest import item, rss
from tests.hostile.conftest import DEALWIRE, query, run_dealwire, settings_file

pytestmark = pytest.mark.slow

COMPANIES = ["Nimbus Compute", "Helios Labs", "Quarry AI", "Tessellate Systems", "Ferrous Data", "Lumen Fabric",
             "Corvid Networks", "Basalt Power", "Orchid Silicon", "Vantage Racks"]
INVESTORS = ["Sequoia Capital", "Index Ventures", "Andreessen Horowitz", "Lightspeed", "General Catalyst"]
FEEDS, PER_FEED = 3, 100


def story(n: int) -> tuple[str, str, str]:
    company, investor = COMPANIES[n % len(COMPANIES)], INVESTORS[n % len(INVESTORS)]
    amount = 10 + n
    html = (f"<p>{company}, a startup that builds AI infrastructure, raised ${amount} million in a Series B round "
            f"led by {investor}, the company said on Tuesday.</p><p>The money pays for data center number {n} "
            f"and for hiring engineers in Austin.</p>")
    return f"https://news.example.com/crash/{n}", f"{company} raises ${amount} million ({n})", html


@pytest.fixture(scope="module")
def feed_set(tmp_path_factory) -> tuple[list[str], str]:
    """(feed files, settings file) for FEEDS x PER_FEED articles in small batches: many commits to land between."""
    folder = tmp_path_factory.mktemp("crash-feeds")
    paths = []
    for f in range(FEEDS):
        path = folder / f"feed{f}.xml"
        path.write_bytes(rss(*(item(*story(f * PER_FEED + i)[:2], "summary", encoded=story(f * PER_FEED + i)[2])
                               for i in range(PER_FEED)), title=f"Crash feed {f}"))
        paths.append(str(path))
    return paths, settings_file(folder, batch_size=20)


def snapshot(db) -> dict:
    """What a run leaves, compared between a clean run and a run that was killed and resumed."""
    return {
        "counts": query(db, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions), "
                            "(SELECT count(*) FROM deals), (SELECT count(*) FROM deal_participants), "
                            "(SELECT count(*) FROM feeds WHERE last_status = 'ok')")[0],
        "deal_ids": {d for (d,) in query(db, "SELECT deal_id FROM deals")},
        "article_ids": {a for (a,) in query(db, "SELECT article_id FROM articles")},
    }


def assert_consistent(db) -> None:
    """No article without its extraction, no extraction row without its article or deal."""
    (row,) = query(db, """
        SELECT (SELECT count(*) FROM articles WHERE extracted_at IS NULL OR extractor_version IS NULL),
               (SELECT count(*) FROM deals WHERE article_id NOT IN (SELECT article_id FROM articles)),
               (SELECT count(*) FROM mentions WHERE article_id NOT IN (SELECT article_id FROM articles)),
               (SELECT count(*) FROM deal_participants WHERE deal_id NOT IN (SELECT deal_id FROM deals))""")
    assert row == (0, 0, 0, 0)


@pytest.fixture(scope="module")
def clean(feed_set, dealwire_env, tmp_path_factory):
    """A clean run's database, and how long that run took (kills are timed as fractions of it)."""
    feeds, config = feed_set
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    started = time.monotonic()
    result = run_dealwire("ingest", "--config", config, "--db", str(db), *feeds, env=dealwire_env)
    assert result.returncode == 0, result.stderr[-2000:]
    return db, time.monotonic() - started


def kill_after(args: list[str], delay: float, env) -> bool:
    """Start `dealwire ARGS`, SIGKILL it after delay seconds; True if it was killed, False if it had finished."""
    proc = subprocess.Popen([DEALWIRE, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def kill_after_batches(args: list[str], batches: int, extra_s: float, env) -> bool:
    """Start `dealwire ARGS` and SIGKILL it extra_s seconds after its Nth "extracted" progress line:
    between two batches or inside one, wherever extra_s lands. False if it finished first."""
    proc = subprocess.Popen([DEALWIRE, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in proc.stderr:
        seen += "extracted" in line
        if seen >= batches:
            time.sleep(extra_s)
            break
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.stderr.close()
    proc.wait()
    return killed


def test_ingest_killed_at_random_points_loses_nothing_and_duplicates_nothing(feed_set, clean, dealwire_env,
                                                                             tmp_path):
    """Each round: a fresh database, a kill somewhere inside the run, then the run again to completion.

    The first kill lands during start-up or the first batch, the others after a random number of stored
    batches (read from the run's progress lines): fixed delays stopped landing once extraction got faster."""
    feeds, config = feed_set
    clean_db, clean_s = clean
    expected = snapshot(clean_db)
    assert expected["counts"][0] == FEEDS * PER_FEED and expected["counts"][2] > 0
    rng = random.Random(20261125)
    batches = FEEDS * PER_FEED // 20
    stored_at_kill = []
    for round_ in range(4):
        db = tmp_path / f"killed{round_}.duckdb"
        args = ["ingest", "--config", config, "--db", str(db), *feeds]
        if round_ == 0:
            killed = kill_after(args, rng.uniform(0.1, 0.3) * clean_s, dealwire_env)
        else:
            killed = kill_after_batches(args, rng.randint(1, batches - 2), rng.uniform(0, 0.5), dealwire_env)
        if killed:
            if db.exists():
                assert_consistent(db)
            stored_at_kill.append(query(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0)
        result = run_dealwire(*args, env=dealwire_env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert_consistent(db)
        assert snapshot(db) == expected
    print(f"\narticles stored when each of {len(stored_at_kill)} kills landed: {stored_at_kill}")
    assert len(stored_at_kill) >= 3
    assert any(0 < n < FEEDS * PER_FEED for n in stored_at_kill)  # at least one kill landed between batches


def test_reprocess_killed_mid_way_keeps_the_old_or_the_new_extraction(clean, dealwire_env, tmp_path):
    clean, _ = clean
    db = tmp_path / "reprocess.duckdb"
    db.write_bytes(clean.read_bytes())
    article_id, old_at = query(db, "SELECT article_id, extracted_at FROM articles WHERE article_id IN "
                                   "(SELECT article_id FROM deals) ORDER BY article_id LIMIT 1")[0]
    deals = query(db, "SELECT deal_id FROM deals WHERE article_id = ? ORDER BY ALL", article_id)
    rng = random.Random(7)
    for delay in (rng.uniform(1, 8) for _ in range(4)):
        kill_after(["reprocess", article_id, "--db", str(db)], delay, dealwire_env)
        assert_consistent(db)
        (at,) = query(db, "SELECT extracted_at FROM articles WHERE article_id = ?", article_id)[0]
        assert at >= old_at
        assert query(db, "SELECT deal_id FROM deals WHERE article_id = ? ORDER BY ALL", article_id) == deals
    assert snapshot(db) == snapshot(clean)
