"""One run at a time per database: an OS file lock on `<db>.lock`, held for the whole run.

DuckDB's own file lock only covers the moments a connection is open; a run opens the file briefly
per batch so analysts can read in between. Two runs interleaving those moments would each decide
what is new from a state the other is changing, so runs take this lock first and hold it to the end.
The OS releases it when the process dies, however it dies: there is no stale lock to clean up.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.db import StorageError

_held: dict[str, tuple[int, int]] = {}      # lock path -> (fd, depth) held by this process
_guard = threading.Lock()


class RunLocked(StorageError):
    """Another process holds the run lock of this database."""

    def __init__(self, path: str, holder: str):
        super().__init__(path, f"another run is in progress ({holder}); try again when it ends, "
                               "or leave out --no-wait to wait for it")
        self.holder = holder

    def __reduce__(self):
        return (type(self), (self.path, self.holder))


def lock_path(db_path: str | Path) -> Path:
    return Path(str(db_path) + ".lock")


@contextlib.contextmanager
def run_lock(db_path: str | Path, *, wait: bool = True,
             on_wait: Callable[[str], None] | None = None, poll_s: float = 0.5) -> Iterator[None]:
    """Hold the database's run lock; re-entrant within a process (the CLI takes it, then its flow).

    With wait=False, raise RunLocked at once if another process holds it; otherwise call
    on_wait(holder) once and block until it is free.
    """
    path = str(lock_path(db_path).resolve())
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release(path)
        return

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:   # a read-only directory, a path through a file, ...
        raise StorageError(str(db_path), f"cannot create its lock file {path}: {exc.strerror}") from None
    try:
        _acquire(fd, str(db_path), wait, on_wait, poll_s)
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n".encode(), 0)
    with _guard:
        _held[path] = (fd, 1)
    try:
        yield
    finally:
        _release(path)


def _acquire(fd: int, db_path: str, wait: bool, on_wait, poll_s: float) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        holder = _holder(fd)
    if not wait:
        raise RunLocked(db_path, holder)
    if on_wait:
        on_wait(holder)
    # Polling rather than a blocking flock keeps Ctrl-C responsive.
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(poll_s)


def _holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    return text or "another process"


def _release(path: str) -> None:
    with _guard:
        fd, depth = _held[path]
        if depth > 1:
            _held[path] = (fd, depth - 1)
            return
        del _held[path]
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
