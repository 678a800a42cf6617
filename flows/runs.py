"""What every run does around its work: take the database's run lock, record itself in `runs`."""
from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator

from flows.config import Settings
from flows.errors import ArticleNotFound
from storage import reads, writes
from storage.db import Database
from storage.lock import run_lock


@contextlib.contextmanager
def exclusive_run(settings: Settings) -> Iterator[None]:
    """Hold the run lock of settings.db_path: wait for a run in progress, or fail at once with --no-wait."""
    def waiting(holder: str) -> None:
        print(f"waiting for another run on {settings.db_path} to finish ({holder}) ...", file=sys.stderr, flush=True)

    with run_lock(settings.db_path, wait=settings.wait_for_lock, on_wait=waiting):
        yield


def check_database(settings: Settings, *, must_exist: bool = False, article: str | None = None) -> None:
    """Fail now on a database a run could not use, rather than after Prefect and spaCy have started
    (~10 s): a file that is not a DuckDB database, none when one must exist, no such article."""
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s, must_exist=must_exist) as db:
        if article is not None and reads.find_article(db, article) is None:
            raise ArticleNotFound(article)


def start_run(settings: Settings, flow: str, scope: str | None = None) -> str:
    """Record a run as running in `runs` and return its run_id. Call it inside exclusive_run."""
    from extractors.versions import VERSION

    run_id = str(uuid.uuid4())
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        writes.start_run(db, run_id, flow, scope=scope, extractor_version=VERSION,
                         prefect_flow_run_id=prefect_flow_run_id())
    return run_id


def finish_run(settings: Settings, run_id: str, status: str, **fields) -> None:
    with Database(settings.db_path, lock_wait_s=settings.lock_wait_s) as db:
        writes.finish_run(db, run_id, status, **fields)


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"[:1000]


def prefect_flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return flow_run.id or None


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
