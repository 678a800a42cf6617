"""Helpers for the hostile-input tests: settings files and reads of the database `dealwire` wrote."""
from __future__ import annotations

from pathlib import Path

from storage.db import Database
from tests.conftest import DEALWIRE, run_dealwire  # noqa: F401  (the hostile tests import them from here)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


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
