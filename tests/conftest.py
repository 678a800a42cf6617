"""Shared fixtures: one Prefect test server per session, the `dealwire` command as a subprocess, Settings
for a DuckDB file in tmp_path, feed builders."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

# The ephemeral server's default 20 s start-up timeout was exceeded under load (see FACTS.md).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from flows.config import Settings, quiet_prefect  # noqa: E402

quiet_prefect()


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """A Prefect server for the whole session (starting one costs 15-25 s); yields its API URL.

    In-process flows use it through the harness's settings; subprocesses get it as PREFECT_API_URL
    so they do not each start an ephemeral server of their own.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield PREFECT_API_URL.value()


DEALWIRE = str(Path(sys.executable).parent / "dealwire")


@pytest.fixture(scope="session")
def dealwire_env(prefect_api) -> dict[str, str]:
    """The environment of every run: the session's Prefect server, no inherited dealwire settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEALWIRE_")}
    # No article pages: test feeds link to hosts beyond loopback (tests of pages turn them on).
    return {**base, "PREFECT_API_URL": prefect_api, "DEALWIRE_FETCH_PAGES": "never"}


def run_dealwire(*args: str, env: dict[str, str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run `dealwire ARGS...` to the end; a traceback on stderr fails the test."""
    result = subprocess.run([DEALWIRE, *args], capture_output=True, text=True, env=env, timeout=timeout, **kwargs)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def local_settings(db_path) -> Settings:
    """Settings for a test database: loopback feeds allowed, no retries, short waits, and no article pages
    (the test feeds link to hosts beyond loopback; tests of pages turn them on)."""
    return Settings(db_path=str(db_path), allow_private=True, fetch_retries=0, retry_delay_s=0, timeout_s=5,
                    lock_wait_s=10, fetch_pages="never")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return local_settings(tmp_path / "dealwire.duckdb")


def item(link: str | None, title: str, body: str, *, guid: str | None = None, encoded: str | None = None) -> str:
    """One RSS <item>; ``body`` goes to <description>, ``encoded`` (HTML) to <content:encoded>."""
    published = format_datetime(datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc), usegmt=True)
    parts = [f"<title>{escape(title)}</title>", f"<description>{escape(body)}</description>",
             f"<pubDate>{published}</pubDate>"]
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if encoded is not None:
        parts.append(f"<content:encoded><![CDATA[{encoded}]]></content:encoded>")
    return "<item>" + "".join(parts) + "</item>"


def rss(*items: str, title: str = "Test feed") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.com/</link>"
        + "".join(items) + "</channel></rss>"
    ).encode()


# Three short funding stories in the style of the news the pipeline reads (written for these tests).
FUNDING_STORIES = [
    ("https://news.example.com/2025/03/nimbus-series-b", "Nimbus Compute raises $120 million",
     "<p>Nimbus Compute, a startup that rents GPU clusters, raised $120 million in a Series B round led by "
     "Sequoia Capital, the company said on Tuesday.</p><p>The money will pay for new data centers in Ohio.</p>"),
    ("https://news.example.com/2025/03/oracle-latticeflow", "Oracle to buy Latticeflow AI",
     "<p>Oracle agreed to acquire Latticeflow AI for $300 million in cash.</p>"
     "<p>The deal is expected to close in the third quarter.</p>"),
    ("https://news.example.com/2025/03/helios-loan", "Helios Labs borrows to build",
     "<p>Helios Labs secured a $75 million loan from JPMorgan Chase to build a data center in Texas.</p>"
     "<ul><li>Construction starts in May.</li><li>The site will draw 40 megawatts.</li></ul>"),
]


def funding_feed(title: str = "Funding news") -> bytes:
    return rss(*(item(link, head, "summary only", encoded=html) for link, head, html in FUNDING_STORIES),
               title=title)
