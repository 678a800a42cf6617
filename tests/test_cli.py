"""The installed `dealwire` command, run as a subprocess: its output and exit codes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import Database
from tests.conftest import FUNDING_STORIES, funding_feed
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parent.parent
DEALWIRE = str(Path(sys.executable).parent / "dealwire")


@pytest.fixture(scope="module")
def env(prefect_api) -> dict[str, str]:
    """The environment of every run: the session's Prefect server, no inherited dealwire settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEALWIRE_")}
    return {**base, "PREFECT_API_URL": prefect_api, "DEALWIRE_FETCH_PAGES": "never"}   # loopback only


def dealwire(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([DEALWIRE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=180)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def server():
    server = FeedServer()
    server.route("/funding.xml", body=funding_feed())
    server.route("/missing.xml", status=404)
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def ingested(server, env, tmp_path_factory):
    """One good `dealwire ingest` for the module: (its result, the database path, the working directory)."""
    cwd = tmp_path_factory.mktemp("cli")
    db = cwd / "deals.duckdb"
    result = dealwire("ingest", server.url("/funding.xml"), "--db", str(db), "--allow-private", env=env, cwd=cwd)
    return result, db, cwd


def test_ingest_exits_0_and_prints_the_summary(ingested):
    result, _, _ = ingested
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["feeds", "articles", "deals", "time"]
    assert "3 new" in result.stdout


def test_ingest_exits_1_when_a_feed_fails_and_keeps_the_good_one(server, env, tmp_path):
    db = tmp_path / "deals.duckdb"
    result = dealwire("ingest", server.url("/missing.xml"), server.url("/funding.xml"), "--db", str(db),
                      env={**env, "DEALWIRE_ALLOW_PRIVATE": "1"}, cwd=tmp_path)
    assert result.returncode == 1
    assert f"failed: {server.url('/missing.xml')}: HTTP 404" in result.stdout
    with Database(db, read_only=True) as database:
        assert database.con.execute("SELECT count(*) FROM articles").fetchone() == (len(FUNDING_STORIES),)


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["run", "--config", "/nonexistent/feeds.toml"]],
                         ids=["no-args", "unknown-command", "missing-config"])
def test_bad_usage_exits_2(args, env, tmp_path):
    result = dealwire(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr


def article_id_of(db: Path, url: str) -> str:
    with Database(db, read_only=True) as database:
        return database.con.execute("SELECT article_id FROM articles WHERE url = ?", [url]).fetchone()[0]


@pytest.mark.parametrize("by", ["id", "url"])
def test_reprocess_exits_0(ingested, env, by):
    _, db, cwd = ingested
    url = FUNDING_STORIES[0][0]
    article_id = article_id_of(db, url)
    result = dealwire("reprocess", article_id if by == "id" else url, "--db", str(db), env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"article {article_id} ({url})")


def test_sql_prints_a_table(ingested, env):
    _, db, cwd = ingested
    result = dealwire("sql", "select count(*) as n from articles", "--db", str(db), env=env, cwd=cwd)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["n", "-", str(len(FUNDING_STORIES))]


def test_sql_reads_the_database_named_by_dealwire_db(ingested, env, tmp_path):
    _, db, _ = ingested
    result = dealwire("sql", "select count(*) as n from articles", env={**env, "DEALWIRE_DB": str(db)}, cwd=tmp_path)
    assert result.stdout.splitlines()[-1] == str(len(FUNDING_STORIES))


def test_sql_bad_query_exits_1_with_the_error(ingested, env):
    _, db, cwd = ingested
    result = dealwire("sql", "select nope from articles", "--db", str(db), env=env, cwd=cwd)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: query failed:")


def test_sql_on_a_missing_database_says_so(env, tmp_path):
    result = dealwire("sql", "select 1", "--db", str(tmp_path / "none.duckdb"), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "no such database" in result.stderr


def test_sql_imports_neither_spacy_nor_prefect(tmp_path):
    Database(tmp_path / "empty.duckdb").close()
    code = ("import sys; from flows import cli; cli.main(['sql', 'select 1', '--db', sys.argv[1]]); "
            "print('spacy' in sys.modules, 'prefect' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "empty.duckdb")], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert result.stdout.splitlines()[-1] == "False False"


def command_names(env, cwd) -> list[str]:
    """The subcommands `dealwire --help` lists."""
    help_text = dealwire("--help", env=env, cwd=cwd).stdout
    return re.findall(r"^    (\w+)", help_text.split("COMMAND\n", 1)[1], re.MULTILINE)


def test_every_command_has_help(env, tmp_path):
    names = command_names(env, tmp_path)
    assert {"run", "ingest", "reprocess", "sql"} <= set(names)
    for name in names:
        result = dealwire(name, "--help", env=env, cwd=tmp_path)
        assert (result.returncode, result.stdout.startswith(f"usage: dealwire {name}")) == (0, True)


def test_every_command_appears_in_the_readme(env, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in command_names(env, tmp_path) if f"dealwire {name}" not in readme]
    assert missing == []


def test_serve_schedule_comes_from_the_config_unless_given(tmp_path):
    from flows.config import load_settings

    config = tmp_path / "feeds.toml"
    config.write_text('[[feed]]\nurl = "feed.xml"\n\n[settings]\nschedule_cron = "*/30 * * * *"\n')
    settings = load_settings(str(config), str(tmp_path / "d.duckdb"), env={})
    assert (settings.schedule_cron, settings.schedule_interval_minutes) == ("*/30 * * * *", 60.0)
