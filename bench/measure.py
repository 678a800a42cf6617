"""Timing: spaCy's nlp.pipe in this process, and whole `dealwire` commands as child processes.

psutil is not a dependency, so a child's memory is read from /proc: the resident set of the child
and all its descendants (spaCy workers, Prefect's ephemeral server), summed, sampled every 0.5 s.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SAMPLE_S = 0.5      # each sample reads /proc for every process (~3 ms): sparse enough to cost ~1 % of a core


@dataclass
class Run:
    argv: list[str]
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_tree_rss_mb: float      # peak of the summed RSS of the process tree (sampled)
    peak_single_rss_mb: float    # the largest single process's high-water mark (VmHWM)

    def count(self, word: str) -> int | None:
        """N from a summary line such as 'articles: 1000 new, 0 updated' (None when absent)."""
        found = re.search(rf"(\d+)\s+{word}\b", self.stdout)
        return int(found.group(1)) if found else None


def time_nlp_pipe(texts: list[str], n_process: int = 1, batch_size: int = 64) -> tuple[float, float]:
    """(seconds for nlp.pipe over all texts, seconds to load the pipeline).

    With n_process > 1, that many processes forked after the load each run nlp.pipe over an equal
    share of the texts and send nothing back: spaCy alone on those cores, the best any ingest could do.
    (spaCy's own n_process cannot run this pipeline: it sends Docs back with user_data that msgpack
    refuses, which is why dealwire's workers return Extraction records.)
    """
    started = time.perf_counter()
    from extractors import load_pipeline

    nlp = load_pipeline()
    loaded = time.perf_counter()
    return _time_pipe(nlp, texts, n_process, batch_size), loaded - started


def time_model_alone(texts: list[str], n_process: int = 1, batch_size: int = 64) -> float:
    """Seconds for the base spaCy model alone (no dealwire components), in the ceiling's process setup."""
    from extractors.pipeline import _load_base

    return _time_pipe(_load_base(None), texts, n_process, batch_size)


def _time_pipe(nlp, texts: list[str], n_process: int, batch_size: int) -> float:
    global _NLP
    started = time.perf_counter()
    if n_process <= 1:
        list(nlp.pipe(texts, batch_size=batch_size))
        return time.perf_counter() - started
    _NLP = nlp
    with multiprocessing.get_context("fork").Pool(n_process) as pool:
        pool.map(_pipe_share, [(texts[i::n_process], batch_size) for i in range(n_process)])
    _NLP = None
    return time.perf_counter() - started


_NLP = None


def _pipe_share(args: tuple[list[str], int]) -> int:
    texts, batch_size = args
    return sum(1 for _ in _NLP.pipe(texts, batch_size=batch_size))


def dealwire(*args: str, env: dict[str, str] | None = None) -> Run:
    """Run `.venv/bin/dealwire ARGS` from the project root; wall time includes interpreter start-up."""
    argv = [str(BIN / "dealwire"), *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env or child_env(), stdout=out, stderr=err, text=True)
        tree_peak, single_peak = 0, 0
        while proc.poll() is None:
            rss, hwm = _tree_memory(proc.pid)
            tree_peak, single_peak = max(tree_peak, rss), max(single_peak, hwm)
            time.sleep(SAMPLE_S)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        return Run(argv, seconds, proc.returncode, out.read(), err.read(),
                   tree_peak / 1024, single_peak / 1024)


@contextlib.contextmanager
def running_prefect_server() -> Iterator[str]:
    """A Prefect server that outlives the commands run against it, as `dealwire serve` or a
    `prefect server start` gives an operator; yields its API URL."""
    from flows.config import quiet_prefect
    from flows.prefect_api import EphemeralServer

    quiet_prefect()     # as the CLI does before it starts one: no telemetry, no server log noise
    server = EphemeralServer()
    server.start()
    try:
        server.wait_until_healthy(120)
        yield server.api_url
    finally:
        server.stop()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEALWIRE_DB", None)   # --db is always given
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return env


def reprocess_all_supported() -> bool:
    """Whether this CLI has `reprocess --all` (issue 4); asked at run time, not assumed."""
    run = subprocess.run([str(BIN / "dealwire"), "reprocess", "--help"], cwd=ROOT, env=child_env(),
                         capture_output=True, text=True)
    return run.returncode == 0 and re.search(r"(^|\s)--all\b", run.stdout) is not None


def _tree_memory(root: int) -> tuple[int, int]:
    """(sum of VmRSS, max of VmHWM) in kB over `root` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, hwm, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        fields = _status(pid)
        total += fields.get("VmRSS", 0)
        hwm = max(hwm, fields.get("VmHWM", 0))
    return total, hwm


def _status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in lines)
            if k in ("VmRSS", "VmHWM") and v.strip()}
