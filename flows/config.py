"""Settings: the one place that reads the environment and configuration files."""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"
DEFAULT_CONFIG = SEEDS / "feeds.toml"
DEFAULT_DB = "data/dealwire.duckdb"
FETCH_PAGES = ("always", "when_short", "never")
USER_AGENT = "dealwire/0.1 (+https://github.com/dealwire/dealwire)"


@dataclass(frozen=True)
class PageRule:
    """When a feed's entries get their article page fetched: always, when_short (text under min_chars), never."""
    fetch_pages: str = "when_short"
    min_chars: int = 1500


@dataclass(frozen=True)
class Settings:
    db_path: str = DEFAULT_DB
    feeds: tuple[str, ...] = ()
    spacy_model: str | None = None     # None: en_core_web_sm if installed, else its PyPI twin
    allow_private: bool = False        # fetch loopback/private addresses (tests, intranet feeds)
    batch_size: int = 200              # articles per extract-and-store batch
    schedule_cron: str | None = None   # `dealwire serve`: cron expression (UTC), over the interval
    schedule_interval_minutes: float = 60.0   # `dealwire serve`: minutes between runs without a cron
    n_process: int = 1                 # extraction processes (load_settings: from the cores)
    fetch_workers: int = 8             # feeds fetched at once
    fetch_retries: int = 2             # extra tries for a transient fetch failure
    retry_delay_s: float = 2.0         # first backoff; doubles each retry
    timeout_s: float = 20.0
    max_feed_bytes: int = 50 * 1024 * 1024
    lock_wait_s: float = 600.0         # how long a writer waits for the database file
    read_wait_s: float = 120.0         # how long `dealwire sql` waits for a writer to let go of the file
    wait_for_lock: bool = True         # wait for another run on the same database (False: exit 1 at once)
    fetch_pages: str = "when_short"    # article pages: always | when_short | never (each [[feed]] may override)
    page_min_chars: int = 1500         # when_short: an entry whose text is shorter than this gets its page
    page_rules: dict = field(default_factory=dict)   # feed source -> PageRule, from the [[feed]] entries
    contact: str | None = None         # put in the User-Agent (an email or URL) so a site can reach us
    page_interval_s: float = 1.0       # at least this long between two requests to one host (robots.txt
                                       # Crawl-delay, when longer, wins)
    page_host_concurrency: int = 2     # requests to one host at once
    page_workers: int = 4              # page fetches at once per feed
    max_page_bytes: int = 10 * 1024 * 1024
    extra: dict = field(default_factory=dict)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(config: str | None = None, db: str | None = None, allow_private: bool = False,
                  env: dict[str, str] | None = None) -> Settings:
    """Defaults < config file (seeds/feeds.toml unless given) < environment < command line."""
    env = os.environ if env is None else env
    path = Path(config) if config else DEFAULT_CONFIG
    data = _read_toml(path) if (config or path.exists()) else {}
    feeds, options = _check_config(data, path)
    # Popped before the environment is consulted: left in options, each would be given twice.
    model = options.pop("spacy_model", None)
    n_process = options.pop("n_process", None)
    model = env.get("DEALWIRE_SPACY_MODEL") or model
    n_process = _env_number(env, "DEALWIRE_N_PROCESS", int, 1) or n_process or _default_processes()
    sources = tuple(_feed_source(entry, path.parent) for entry in feeds)
    default_rule = _page_rule(options, PageRule(), path, "[settings]")
    rules = {source: _page_rule(entry, default_rule, path, f"[[feed]] {source}")
             for source, entry in zip(sources, feeds)}
    if env.get("DEALWIRE_FETCH_PAGES"):     # over every feed's: e.g. "never" for a run that must stay offline
        forced = _page_rule({"fetch_pages": env["DEALWIRE_FETCH_PAGES"]}, default_rule, "DEALWIRE_FETCH_PAGES", "")
        default_rule, rules = forced, {s: replace(r, fetch_pages=forced.fetch_pages) for s, r in rules.items()}
    options.update(fetch_pages=default_rule.fetch_pages, page_min_chars=default_rule.min_chars)
    return Settings(
        **options,
        db_path=db or env.get("DEALWIRE_DB") or DEFAULT_DB,
        feeds=sources,
        spacy_model=model,
        n_process=n_process,
        allow_private=allow_private or _truthy(env.get("DEALWIRE_ALLOW_PRIVATE")),
        page_rules={s: r for s, r in rules.items() if r != default_rule},
    )


# What a config file's [settings] may hold: the kind of value and the smallest allowed (None: any),
# and whether that smallest value is itself allowed. A value outside them would not fail but
# misbehave later (batch_size = 0 never finishes a batch), so it is refused when the file is read.
_SETTINGS: dict[str, tuple[type, float | None, bool]] = {
    "spacy_model": (str, None, True),
    "batch_size": (int, 1, True),
    "schedule_cron": (str, None, True),
    "schedule_interval_minutes": (float, 0, False),
    "n_process": (int, 1, True),
    "fetch_workers": (int, 1, True),
    "fetch_retries": (int, 0, True),
    "retry_delay_s": (float, 0, True),
    "timeout_s": (float, 0, False),
    "max_feed_bytes": (int, 1, True),
    "lock_wait_s": (float, 0, True),
    "read_wait_s": (float, 0, True),
    "fetch_pages": (str, None, True),
    "page_min_chars": (int, 0, True),
    "contact": (str, None, True),
    "page_interval_s": (float, 0, True),
    "page_host_concurrency": (int, 1, True),
    "page_workers": (int, 1, True),
    "max_page_bytes": (int, 1, True),
}
# Settings that come from elsewhere, and where.
_NOT_IN_FILE = {"db_path": "--db or $DEALWIRE_DB", "allow_private": "--allow-private or DEALWIRE_ALLOW_PRIVATE=1",
                "wait_for_lock": "--no-wait", "feeds": "[[feed]] tables",
                "page_rules": "fetch_pages and page_min_chars in a [[feed]] table"}
_TABLES = ("feed", "settings")
_FEED_KEYS = ("url", "name", "fetch_pages", "page_min_chars")


def _check_config(data: dict, path: Path) -> tuple[list[dict], dict]:
    """The [[feed]] tables and the [settings] of a config file, every key and value checked; one
    UsageError naming the file lists every problem."""
    problems = [_unknown(key, _TABLES, "") for key in data if key not in _TABLES]
    feeds, settings = data.get("feed", []), data.get("settings", {})
    if not isinstance(feeds, list) or not all(isinstance(f, dict) for f in feeds):
        problems.append("feed must be [[feed]] tables, each with a url")
        feeds = []
    if not isinstance(settings, dict):
        problems.append("settings must be a [settings] table")
        settings = {}
    for n, entry in enumerate(feeds, 1):
        problems += [_unknown(key, _FEED_KEYS, f"[[feed]] {n}") for key in entry if key not in _FEED_KEYS]
        if not isinstance(entry.get("url"), str) or not entry["url"]:
            problems.append(f"[[feed]] {n} needs a url (a string)")
    options = {}
    for key, value in settings.items():
        if key in _NOT_IN_FILE:
            problems.append(f"[settings] {key} cannot be set in a config file; use {_NOT_IN_FILE[key]}")
        elif key not in _SETTINGS:
            problems.append(_unknown(key, _SETTINGS, "[settings]"))
        elif problem := _bad_value(value, *_SETTINGS[key]):
            problems.append(f"[settings] {key} {problem}")
        else:
            options[key] = float(value) if _SETTINGS[key][0] is float else value
    if problems:
        raise UsageError(f"config {path}: " + "; ".join(problems))
    return feeds, options


def _unknown(key: str, known, where: str) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"
    return f"unknown key {key}{' in ' + where if where else ''}{hint}"


def _bad_value(value, kind: type, low: float | None, low_allowed: bool) -> str | None:
    """Why value is not a valid setting of this kind and range, or None when it is."""
    wanted = {int: "a whole number", float: "a number", str: "a string"}[kind]
    if low is not None:
        wanted += f" {'of at least' if low_allowed else 'greater than'} {low:g}"
    numeric = (int, float) if kind is float else (int,) if kind is int else ()
    if isinstance(value, bool) or not isinstance(value, numeric or (str,)):
        return f"must be {wanted}, not {value!r}"
    if low is not None and (value < low or (value == low and not low_allowed)):
        return f"must be {wanted}, not {value!r}"
    return None


def _env_number(env, name: str, kind: type, low: float) -> int | float | None:
    """An environment variable holding a number (None when unset or empty)."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = text
    if problem := _bad_value(value, kind, low, True):
        raise UsageError(f"environment variable {name} {problem}")
    return value


def page_rule(settings: Settings, source: str) -> PageRule:
    """The page rule for one feed: its [[feed]] entry's, else the [settings] default."""
    return settings.page_rules.get(source) or PageRule(settings.fetch_pages, settings.page_min_chars)


def user_agent(settings: Settings) -> str:
    return f"{USER_AGENT[:-1]}; {settings.contact})" if settings.contact else USER_AGENT


def _page_rule(table: dict, default: PageRule, path: Path | str, where: str) -> PageRule:
    mode = table.get("fetch_pages", default.fetch_pages)
    if mode not in FETCH_PAGES:
        raise UsageError(f"{'config ' if where else ''}{path}: {where}{': ' if where else ''}fetch_pages = {mode!r} is not one of "
                         + ", ".join(f'"{m}"' for m in FETCH_PAGES))
    min_chars = table.get("page_min_chars", default.min_chars)
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise UsageError(f"config {path}: {where}: page_min_chars = {min_chars!r} is not a whole number >= 0")
    return PageRule(mode, min_chars)


def _default_processes() -> int:
    """Extraction processes: every core on 1-2 cores (two workers ran 2.0x one on 2 cores, see the README's
    Performance section), else one core left to the flow, at most 8. Small batches still run in-process."""
    cores = os.cpu_count() or 1
    return cores if cores <= 2 else min(cores - 1, 8)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config {path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config {path}: {exc}") from None


def _feed_source(entry: dict, base: Path) -> str:
    source = entry["url"]
    if "://" in source:
        return source
    return str((base / source).resolve())


def quiet_prefect() -> None:
    """Keep Prefect's own logs, telemetry and the ephemeral server's shutdown noise out of our output."""
    for key, value in {
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # A failed feed task would print Prefect's traceback; the run's summary names it and why,
        # and the API handler still sends every log to the UI.
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }.items():
        os.environ.setdefault(key, value)
