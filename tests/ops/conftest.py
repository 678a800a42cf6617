"""Helpers for operating tests: a long generated feed, the `dealwire` command as a real process, and a
watcher that says when a running process has printed a given line."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from storage.db import Database
from tests.conftest import item, rss

DEALWIRE = str(Path(sys.executable).parent / "dealwire")

_FIRST = ["Nimbus", "Vector", "Helio", "Lattice", "Cobalt", "Quasar", "Tensor", "Arclight", "Photon", "Granite",
          "Boreal", "Cirrus", "Ember", "Krypton", "Meridian"]
_SECOND = ["Compute", "Labs", "Systems", "AI", "Networks", "Power", "Silicon", "Cloud", "Data", "Fabric"]
_INVESTORS = ["Sequoia Capital", "Index Ventures", "Lightspeed Venture Partners", "Accel", "General Catalyst"]


def long_feed(n: int = 300) -> bytes:
    """n funding stories of ~100 words, each about a different made-up company."""
    items = []
    for i in range(n):
        company = f"{_FIRST[i % len(_FIRST)]} {_SECOND[(i // len(_FIRST)) % len(_SECOND)]}"
        if i >= len(_FIRST) * len(_SECOND):
            company += " Group"
        amount, investor, series = 10 + (i * 7) % 390, _INVESTORS[i % len(_INVESTORS)], "ABCD"[i % 4]
        html = (f"<p>{company}, a startup that builds liquid-cooled racks for GPU clusters, raised ${amount} million "
                f"in a Series {series} round led by {investor}, the company said on Tuesday.</p>"
                "<p>The money will pay for two new data centers and for engineers who design power systems. "
                "Demand for computing capacity from model developers has outgrown the supply of chips, "
                "buildings and electricity, executives said.</p>"
                "<p>The company did not disclose its valuation. It employs about 120 people and expects "
                "to double that by the end of next year.</p>")
        items.append(item(f"https://news.example.com/2025/ops/{i:04d}", f"{company} raises ${amount} million",
                          "summary only", encoded=html))
    return rss(*items, title="Long feed")


def write_config(path: Path, **settings) -> Path:
    path.write_text("[settings]\n" + "".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def env(prefect_api) -> dict[str, str]:
    """Every subprocess talks to the session's Prefect server instead of starting its own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEALWIRE_")}
    return {**base, "PREFECT_API_URL": prefect_api, "DEALWIRE_ALLOW_PRIVATE": "1",
            "DEALWIRE_FETCH_PAGES": "never"}   # the test feeds link beyond loopback


def dealwire(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([DEALWIRE, *args], capture_output=True, text=True, env=env, timeout=timeout)


class Running:
    """A `dealwire` process in the background whose stderr is collected line by line."""

    def __init__(self, *args: str, env: dict[str, str], **popen):
        self.proc = subprocess.Popen([DEALWIRE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, **popen)
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """The first stderr line containing text; fails if the process ends or time runs out first."""
        with self._seen:
            found = self._seen.wait_for(
                lambda: any(text in line for line in self.lines) or self.proc.poll() is not None, timeout)
            match = next((line for line in self.lines if text in line), None)
        assert found and match, f"{text!r} never printed; stderr so far: {self.lines}"
        return match

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) once it ends."""
        stdout = self.proc.stdout.read()
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code, stdout, "\n".join(self.lines)


def query(db_path, sql: str, *params) -> list[tuple]:
    with Database(db_path, read_only=True, lock_wait_s=30) as db:
        return db.con.execute(sql, list(params)).fetchall()
