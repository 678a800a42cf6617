"""Open the DuckDB file: the one place a connection is made."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from storage.migrations import migrate


class StorageError(Exception):
    """A database problem, named with the file it concerns."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"database {path}: {reason}")
        self.path, self.reason = path, reason

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class Database:
    """A DuckDB file, opened read-write (migrated to the current schema) or read-only; one that is not
    there is created, unless it is opened read-only or must_exist."""

    def __init__(self, path: str | Path, *, read_only: bool = False, lock_wait_s: float = 0.0,
                 must_exist: bool = False):
        self.path = str(path)
        self.read_only = read_only
        if (read_only or must_exist) and not Path(self.path).exists():
            raise StorageError(self.path, "no such database (run `dealwire run` or `dealwire ingest` first)")
        if not read_only:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(self.path, f"cannot create its directory: {exc.strerror}") from None
        self.con = _connect(self.path, read_only, lock_wait_s)
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            migrate(self.con)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connect(path: str, read_only: bool, lock_wait_s: float) -> duckdb.DuckDBPyConnection:
    # DuckDB lets one process hold the file; another process's open fails at once with an IO error
    # naming the lock. Waiting a little turns a brief overlap into a delay instead of a failure.
    deadline = time.monotonic() + lock_wait_s
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StorageError(path, str(exc).splitlines()[0]) from None
            if time.monotonic() >= deadline:
                raise StorageError(path, "in use by another process (a run may be in progress); try again when it ends") from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise StorageError(path, str(exc).splitlines()[0]) from None
