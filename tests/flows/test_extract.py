"""Extraction in worker processes gives exactly what the pipeline gives in this process."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

from extractors.records import Article
from flows import extract
from tests.conftest import FUNDING_STORIES, local_settings


def articles(n: int) -> list[Article]:
    texts = [f"{head}.\n\n{body.replace('<p>', '').replace('</p>', ' ')}" for _, head, body in FUNDING_STORIES]
    return [Article(f"{i:016x}", "feed", None, None, "t", None, None, "h", texts[i % len(texts)]) for i in range(n)]


def test_workers_return_the_in_process_extractions_in_order(tmp_path):
    batch = articles(extract.PARALLEL_MIN + 3)
    serial = local_settings(tmp_path / "db.duckdb")
    try:
        parallel, version = extract.extract_articles(batch, replace(serial, n_process=2))
        assert extract.worker_count() == 2     # the batch was big enough to start them
    finally:
        extract.close_workers()
    assert (parallel, version) == extract.extract_articles(batch, serial)
    assert any(e.deals for e in parallel)


def test_a_small_batch_starts_no_workers(tmp_path):
    settings = replace(local_settings(tmp_path / "db.duckdb"), n_process=2)
    extract.extract_articles(articles(2), settings)
    assert extract.worker_count() == 0


def test_batches_queue_for_the_workers_in_the_order_they_were_numbered():
    order, entered = extract.BatchOrder(), []
    tickets = [order.ticket() for _ in range(4)]

    def queue(ticket):
        with ticket:
            entered.append(ticket.number)

    threads = [threading.Thread(target=queue, args=(t,)) for t in reversed(tickets)]   # the newest starts first
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join(5)
    assert entered == [0, 1, 2, 3]


def test_a_ticket_never_used_holds_the_next_one_up_only_for_a_while():
    order = extract.BatchOrder(wait_s=0.2)
    order.ticket()                     # its batch failed before queueing anything
    started = time.monotonic()
    with order.ticket():
        waited = time.monotonic() - started
    assert 0.15 <= waited < 2
