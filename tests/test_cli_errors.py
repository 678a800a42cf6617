"""Bad input through the installed `dealwire`: one line `Error: ...`, exit 2 for usage and 1 for a failure,
no traceback, and no Prefect or spaCy started for what can be checked first."""
from __future__ import annotations

import contextlib
import subprocess
import time
from importlib.metadata import version

import pytest

from storage.db import Database
from tests.conftest import DEALWIRE, funding_feed, run_dealwire

# What a run costs before its first feed without a running Prefect server (~10 s here): a check that
# answers well within this started neither Prefect nor spaCy.
FAST_S = 5.0


@pytest.fixture
def no_prefect_env(dealwire_env) -> dict[str, str]:
    """No Prefect server given: a command that reached Prefect would start one of its own (~10 s)."""
    return {k: v for k, v in dealwire_env.items() if k != "PREFECT_API_URL"}


@pytest.fixture
def feed(tmp_path) -> str:
    path = tmp_path / "feed.xml"
    path.write_bytes(funding_feed())
    return str(path)


def one_error(result: subprocess.CompletedProcess, code: int) -> str:
    """The message of a command that failed with this exit status and printed one `Error:` line."""
    assert (result.returncode, result.stderr.count("\n"), result.stderr[:7]) == (code, 1, "Error: "), result.stderr
    return result.stderr[7:].rstrip("\n")


def timed(*args: str, env: dict[str, str], cwd) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = run_dealwire(*args, env=env, cwd=cwd, timeout=120)
    return result, time.monotonic() - started


@pytest.mark.parametrize("line, problem", [
    ("batch_size = -5", "[settings] batch_size must be a whole number of at least 1, not -5"),
    ("batch_size = 0", "[settings] batch_size must be a whole number of at least 1, not 0"),
    ('batch_size = "ten"', "[settings] batch_size must be a whole number of at least 1, not 'ten'"),
    ("batch_sise = 10", "unknown key batch_sise in [settings] (did you mean batch_size?)"),
    ("timeout = 5", "unknown key timeout in [settings] (did you mean timeout_s?)"),
], ids=["negative", "zero", "text", "misspelt", "misnamed"])
def test_a_bad_setting_is_refused_naming_the_file_and_key(line, problem, feed, dealwire_env, tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text(f"[settings]\n{line}\n", encoding="utf-8")
    result = run_dealwire("ingest", feed, "--config", str(config), "--db", str(tmp_path / "d.duckdb"),
                          env=dealwire_env, cwd=tmp_path, timeout=60)
    assert one_error(result, 2) == f"config {config}: {problem}"


@contextlib.contextmanager
def read_only_dir(path):
    """A directory holding a database, in which no one may write, root included: chmod does not stop
    root, the immutable flag does."""
    path.mkdir()
    Database(path / "deals.duckdb").close()
    immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    if not immutable:
        path.chmod(0o555)
    try:
        writable = (path / "probe").touch() is None
    except OSError:
        writable = False
    try:
        if writable:
            pytest.skip("cannot make a read-only directory here")
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o755)


@pytest.mark.parametrize("command", [["ingest", "FEED"], ["reprocess", "--all"]])
def test_a_database_in_a_read_only_directory_is_named(command, feed, dealwire_env, tmp_path):
    with read_only_dir(tmp_path / "read-only") as folder:
        db = folder / "deals.duckdb"
        args = [feed if a == "FEED" else a for a in command]
        result = run_dealwire(*args, "--db", str(db), env=dealwire_env, cwd=tmp_path, timeout=60)
    assert one_error(result, 1).startswith(f"database {db}: cannot create its lock file {db}.lock: ")


@pytest.mark.parametrize("args, problem", [
    (["--cron", "not a cron"], "--cron 'not a cron' is not a cron expression (five fields, e.g. '*/30 * * * *')"),
    (["--port", "99999"], "--port must be between 1 and 65535, not 99999"),
], ids=["cron", "port"])
def test_serve_refuses_a_bad_schedule_or_port_before_it_starts(args, problem, feed, no_prefect_env, tmp_path):
    config = tmp_path / "feeds.toml"
    config.write_text(f'[[feed]]\nurl = "{feed}"\n', encoding="utf-8")
    result = run_dealwire("serve", *args, "--config", str(config), "--db", str(tmp_path / "d.duckdb"),
                          env=no_prefect_env, cwd=tmp_path, timeout=60)
    assert one_error(result, 2) == problem


def test_sql_without_a_statement_is_bad_usage(tmp_path, dealwire_env):
    Database(tmp_path / "d.duckdb").close()
    result = run_dealwire("sql", " ", "--db", str(tmp_path / "d.duckdb"), env=dealwire_env, cwd=tmp_path)
    assert one_error(result, 2).startswith("give one SQL statement")


def test_sql_into_a_pipe_closed_early_ends_quietly(tmp_path, dealwire_env):
    """`dealwire sql ... | head`: the reader has what it wanted; no traceback, the status of a closed pipe."""
    Database(tmp_path / "d.duckdb").close()
    proc = subprocess.Popen([DEALWIRE, "sql", "select * from range(200000)", "--db", str(tmp_path / "d.duckdb")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dealwire_env)
    assert proc.stdout.readline().strip() == "range"
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert (proc.wait(60), stderr) == (141, "")


def test_version(dealwire_env, tmp_path):
    result = run_dealwire("--version", env=dealwire_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"dealwire {version('dealwire')}\n")


# -- what is checked before Prefect and spaCy start ------------------------------------------------

def test_an_unknown_article_fails_fast(tmp_path, no_prefect_env):
    Database(tmp_path / "d.duckdb").close()
    result, seconds = timed("reprocess", "0123456789abcdef", "--db", str(tmp_path / "d.duckdb"), env=no_prefect_env,
                            cwd=tmp_path)
    assert one_error(result, 1) == ("article 0123456789abcdef: not in the database "
                                    "(give an article_id or URL from the articles table)")
    assert seconds < FAST_S


def test_reprocess_without_a_database_fails_fast_and_creates_none(tmp_path, no_prefect_env):
    db = tmp_path / "none.duckdb"
    result, seconds = timed("reprocess", "--stale", "--db", str(db), env=no_prefect_env, cwd=tmp_path)
    assert one_error(result, 1) == f"database {db}: no such database (run `dealwire run` or `dealwire ingest` first)"
    assert (seconds < FAST_S, db.exists()) == (True, False)


def test_a_missing_feed_file_fails_fast(feed, tmp_path, no_prefect_env):
    missing = str(tmp_path / "no-such-feed.xml")
    result, seconds = timed("ingest", feed, missing, "--db", str(tmp_path / "d.duckdb"), env=no_prefect_env,
                            cwd=tmp_path)
    assert one_error(result, 2) == f"no such feed file: {missing}"
    assert seconds < FAST_S


@pytest.mark.parametrize("command", [["ingest", "FEED"], ["reprocess", "--all"], ["reprocess", "0123456789abcdef"]])
def test_a_file_that_is_not_a_database_fails_fast(command, feed, tmp_path, no_prefect_env):
    db = tmp_path / "notes.duckdb"
    db.write_text("not a database\n")
    args = [feed if a == "FEED" else a for a in command]
    result, seconds = timed(*args, "--db", str(db), env=no_prefect_env, cwd=tmp_path)
    assert "is not a valid DuckDB database file" in one_error(result, 1)
    assert seconds < FAST_S
