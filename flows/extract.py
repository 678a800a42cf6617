"""The spaCy pipeline over batches of articles: in this process, or spread over worker processes that
each load it once and send back plain Extraction records.

Workers return the frozen records, not Docs, so nothing spaCy-specific crosses a process boundary.
(An annotated Doc now survives `doc.to_bytes()`, so spaCy's own `nlp.pipe(n_process=...)` could carry
it; whether that is as fast as this pool, which sends back records only, has not been measured.)
"""
from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache

from extractors.records import Article, Extraction
from flows.config import Settings

# A batch smaller than this is extracted in this process: starting workers (each imports spaCy and
# loads the pipeline, ~3 s) costs more than spreading a few seconds of work saves.
PARALLEL_MIN = 32
# Articles per worker job: small enough that the cores finish a batch together, large enough that
# nlp.pipe still batches (articles are ~450 words; spaCy's gain from larger batches is small).
CHUNK = 8
PIPE_BATCH = 64

_lock = threading.Lock()
_pool: tuple[tuple, ProcessPoolExecutor] | None = None
_in_process = threading.Lock()      # one pipeline in this process: batches from two threads take turns


@lru_cache(maxsize=2)
def pipeline(model: str | None):
    from extractors.pipeline import load_pipeline

    return load_pipeline(model)


def extract_articles(articles: Sequence[Article], settings: Settings,
                     ticket: Ticket | None = None) -> tuple[list[Extraction], str]:
    """Extractions for the articles, in order, and the extractor version that made them.

    With a ticket, the batch's chunks join the workers' queue in the ticket's order (see BatchOrder).
    """
    from extractors.versions import VERSION

    texts = [a.text for a in articles]
    with ticket or contextlib.nullcontext():
        pool = _workers(settings, len(texts))
        if pool is not None:
            chunks = [texts[i: i + CHUNK] for i in range(0, len(texts), CHUNK)]
            futures = [pool.submit(extract_texts, chunk, settings.spacy_model) for chunk in chunks]
    if pool is None:
        with _in_process:
            return extract_texts(texts, settings.spacy_model), VERSION
    try:
        parts = [f.result() for f in futures]
    except BrokenProcessPool:
        close_workers()     # a worker died (killed, out of memory): the next batch starts fresh ones
        raise
    return [e for part in parts for e in part], VERSION


class BatchOrder:
    """A run's batches, numbered as the flow submits them. With one batch being stored while the next
    is extracted, their tasks start in whatever order their threads get going; each queues its chunks
    for the workers in its number's turn, so the older batch finishes (and is stored) first rather than
    both finishing together, late."""

    def __init__(self, wait_s: float = 30.0) -> None:
        self.wait_s = wait_s    # a batch whose task failed before its turn holds the next up no longer
        self._issued = 0
        self._next = 0
        self._cond = threading.Condition()

    def ticket(self) -> Ticket:
        with self._cond:
            number, self._issued = self._issued, self._issued + 1
        return Ticket(self, number)

    def _wait(self, number: int) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._next >= number, timeout=self.wait_s)

    def _done(self, number: int) -> None:
        with self._cond:
            self._next = max(self._next, number + 1)
            self._cond.notify_all()


class Ticket:
    """A batch's turn to queue its chunks: `with ticket:` waits for it and passes it on."""

    def __init__(self, order: BatchOrder, number: int) -> None:
        self.order, self.number = order, number

    def __enter__(self) -> None:
        self.order._wait(self.number)

    def __exit__(self, *exc) -> None:
        self.order._done(self.number)


def extract_texts(texts: Sequence[str], model: str | None) -> list[Extraction]:
    """Run the pipeline over texts in this process (a worker's job, or the whole batch without workers)."""
    from extractors.pipeline import extraction_from_doc

    return [extraction_from_doc(doc) for doc in pipeline(model).pipe(texts, batch_size=PIPE_BATCH)]


def extracts_in_workers(settings: Settings) -> bool:
    """Whether batches of PARALLEL_MIN or more articles go to worker processes."""
    return settings.n_process > 1


def worker_count() -> int:
    """How many worker processes are started (0 when extraction runs in this process)."""
    with _lock:
        return _pool[0][1] if _pool else 0


def close_workers() -> None:
    """Stop the worker processes, if any were started; the next parallel batch starts new ones."""
    global _pool
    with _lock:
        pool, _pool = (_pool[1] if _pool else None), None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _workers(settings: Settings, articles: int) -> ProcessPoolExecutor | None:
    """The worker pool for these settings, started on the first batch big enough to need it."""
    global _pool
    if settings.n_process <= 1:
        return None
    key = (settings.spacy_model, settings.n_process)
    with _lock:
        if _pool is not None and _pool[0] != key:
            _pool[1].shutdown(wait=True)
            _pool = None
        if _pool is None:
            if articles < PARALLEL_MIN:
                return None
            # spawn, not fork: the parent runs Prefect's threads and holds the run lock's file
            # descriptor, neither of which a worker may inherit.
            _pool = (key, ProcessPoolExecutor(max_workers=settings.n_process,
                                              mp_context=multiprocessing.get_context("spawn"),
                                              initializer=_start_worker, initargs=(settings.spacy_model,)))
        return _pool[1]


def _start_worker(model: str | None) -> None:
    # Ctrl-C reaches the whole process group; the parent decides, and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    pipeline(model)


def _exit_with_parent(parent: int) -> None:
    """A parent killed outright (SIGKILL, out of memory) cannot stop its workers: they notice and leave."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


atexit.register(close_workers)
