"""With no PREFECT_API_URL, a CLI run starts its own Prefect server, runs its flow on it, and leaves none
behind: not when it ends, not when it is killed outright."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import funding_feed
from tests.ops.conftest import Running, dealwire, long_feed, query, write_config

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="finds the server's process through /proc")


@pytest.fixture
def own_env(tmp_path) -> dict[str, str]:
    """No API URL, and a Prefect home of the test's own, so its server's process can be told apart."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALWIRE_", "PREFECT_API_"))}
    # No article pages: the test feeds link to hosts beyond loopback.
    return {**env, "PREFECT_HOME": str(tmp_path / "prefect-home"), "DEALWIRE_FETCH_PAGES": "never"}


def servers(env: dict[str, str]) -> list[int]:
    """Live uvicorn processes started with this environment's PREFECT_HOME."""
    marker = f"PREFECT_HOME={env['PREFECT_HOME']}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if b"uvicorn" in (entry / "cmdline").read_bytes() and marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def gone(env: dict[str, str], within_s: float = 15) -> bool:
    deadline = time.monotonic() + within_s
    while servers(env) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not servers(env)


def test_a_run_without_an_api_url_uses_a_server_of_its_own_and_stops_it(tmp_path, own_env):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(funding_feed())
    db = tmp_path / "d.duckdb"

    result = dealwire("ingest", str(feed), "--db", str(db), env=own_env)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert query(db, "SELECT status, prefect_flow_run_id IS NOT NULL FROM runs") == [("completed", True)]
    assert gone(own_env)


def test_a_killed_run_takes_its_server_with_it(tmp_path, own_env):
    feed = tmp_path / "long.xml"
    feed.write_bytes(long_feed(300))
    run = Running("ingest", str(feed), "--db", str(tmp_path / "d.duckdb"), env=own_env)
    run.wait_for("Ingesting")
    assert servers(own_env), "the run started no server of its own"

    run.proc.kill()
    run.proc.wait(10)

    assert gone(own_env)


def test_ctrl_c_stops_a_run_in_seconds_and_leaves_its_record_true(tmp_path, own_env):
    """Ctrl-C in a terminal signals the whole process group, the run's own Prefect server included."""
    feed, db = tmp_path / "long.xml", tmp_path / "d.duckdb"
    feed.write_bytes(long_feed(300))
    config = write_config(tmp_path / "batches.toml", batch_size=20)
    run = Running("ingest", str(feed), "--db", str(db), "--config", str(config), env=own_env, process_group=0)
    run.wait_for("extracted 20/")
    before = len(run.lines)

    os.killpg(run.proc.pid, signal.SIGINT)
    sent = time.monotonic()
    code, _, _ = run.finish(timeout=120)

    assert time.monotonic() - sent < 10
    said = [line for line in run.lines[before:] if not line.startswith("  extracted ")]
    assert (code, said) == (130, ["Interrupted; what was stored so far is kept, and the next run carries on."])
    (stored,), = query(db, "SELECT count(*) FROM articles")
    assert query(db, "SELECT status, error, articles_new FROM runs") == [("failed", "interrupted", stored)]
    assert gone(own_env)
