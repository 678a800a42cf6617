"""Helpers for the hostile-input tests: the installed `dealwire` run as a subprocess, and reads of its database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import Database

DEALWIRE = str(Path(sys.executable).parent / "dealwire")
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def dealwire_env(prefect_api) -> dict[str, str]:
    """The environment of every run: the session's Prefect server, no inherited dealwire settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEALWIRE_")}
    # No article pages: these feeds link to hosts beyond loopback, or to the hostile server's own traps.
    return {**base, "PREFECT_API_URL": prefect_api, "DEALWIRE_FETCH_PAGES": "never"}


def run_dealwire(*args: str, env: dict[str, str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run `dealwire ARGS...` to the end; a traceback on stderr fails the test."""
    result = subprocess.run([DEALWIRE, *args], capture_output=True, text=True, env=env, timeout=timeout, **kwargs)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def settings_file(folder: Path, **settings) -> str:
    """A --config file holding only [settings]."""
    path = folder / "settings.toml"
    lines = ["[settings]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def query(db: Path | str, sql: str, *params) -> list[tuple]:
    with Database(db, read_only=True) as database:
        return database.con.execute(sql, list(params)).fetchall()


def feed_rows(db: Path | str) -> dict[str, tuple]:
    """feed_url -> (last_status, last_error, entries_seen)."""
    return {url: tuple(rest) for url, *rest in query(db, "SELECT feed_url, last_status, last_error, entries_seen FROM feeds")}
