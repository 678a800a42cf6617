"""`python -m bench`: generate a corpus, time nlp.pipe alone, then `dealwire ingest` as a user runs it.

Prints a table, then one `name=value` line per figure (last, for scripts); --out also writes JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import measure
from bench.corpus import make_corpus, write_feed, write_feeds
from bench.pages import CONFIG as PAGES_CONFIG, page_server, write_summary_feed
from bench.report import Figures, format_table, name_value_lines


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.articles < 1:
        print("Error: --articles must be at least 1", file=sys.stderr)
        return 2
    n_process = args.n_process or _ingest_processes()
    work = Path(tempfile.mkdtemp(prefix="dealwire-bench-"))
    try:
        return _bench(args, n_process, work)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args, n_process: int, work: Path) -> int:
    started = time.perf_counter()
    articles = make_corpus(args.articles, seed=args.seed)
    feeds = write_feeds(articles, work / "feeds", per_feed=args.per_feed)
    texts = [a.text for a in articles]
    words = sum(a.words for a in articles)
    fig = Figures(articles=len(articles), feeds=len(feeds), words=words, n_process=n_process,
                  machine=_machine())
    _say(f"corpus: {fig.articles} articles, {words} words, {fig.feeds} feeds in {work}")

    _say(f"nlp.pipe over {fig.articles} texts (batch_size=64, {n_process} process(es)) ...")
    fig.nlp_pipe_s, fig.nlp_load_s = measure.time_nlp_pipe(texts, n_process=n_process)
    if not args.ingest_only:
        _say("the spaCy model alone over the same texts, same processes (what dealwire's components add) ...")
        fig.model_alone_s = measure.time_model_alone(texts, n_process=n_process)

    db = work / "bench.duckdb"
    ingest = ["ingest", *map(str, feeds), "--db", str(db)]
    _say("dealwire ingest into an empty database ...")
    first = _checked(measure.dealwire(*ingest))
    if first is None:
        return 1
    fig.ingest_s, fig.peak_rss_mb, fig.peak_single_rss_mb = first.seconds, first.peak_tree_rss_mb, first.peak_single_rss_mb
    fig.ingest_new = first.count("new")
    _say("the same ingest again, nothing changed ...")
    second = _checked(measure.dealwire(*ingest))
    if second is None:
        return 1
    fig.rerun_s, fig.rerun_new, fig.rerun_updated = second.seconds, second.count("new"), second.count("updated")

    _say("fixed cost: dealwire ingest of a one-article feed into a new database ...")
    one = write_feed(articles[:1], work / "one.xml")
    single = _checked(measure.dealwire("ingest", str(one), "--db", str(work / "one.duckdb")))
    if single is None:
        return 1
    fig.one_article_ingest_s = single.seconds

    _say("with a Prefect server already running (as under `dealwire serve`): the same three ingests ...")
    served_ingest = ["ingest", *map(str, feeds), "--db", str(work / "served.duckdb")]
    with measure.running_prefect_server() as api:
        env = {**measure.child_env(), "PREFECT_API_URL": api}
        runs = [_checked(measure.dealwire(*served_ingest, env=env)), _checked(measure.dealwire(*served_ingest, env=env)),
                _checked(measure.dealwire("ingest", str(one), "--db", str(work / "one-served.duckdb"), env=env))]
    if None in runs:
        return 1
    fig.ingest_served_s, fig.rerun_served_s, fig.one_article_served_s = (r.seconds for r in runs)

    fig.pages_articles = min(args.page_articles, len(articles))
    if fig.pages_articles:
        _say(f"dealwire ingest of {fig.pages_articles} summary-only articles whose pages come from a loopback server ...")
        with page_server(articles[:fig.pages_articles]) as (base, requests):
            feed = write_summary_feed(articles[:fig.pages_articles], base, work / "summaries.xml")
            (work / "pages.toml").write_text(PAGES_CONFIG, encoding="utf-8")
            run = _checked(measure.dealwire("ingest", str(feed), "--config", str(work / "pages.toml"),
                                            "--allow-private", "--db", str(work / "pages.duckdb")))
        if run is None:
            return 1
        fig.pages_ingest_s, fig.pages_fetched, fig.pages_requests = run.seconds, _pages_fetched(run), requests[0]

    fig.reprocess_all = not args.ingest_only and measure.reprocess_all_supported()
    if fig.reprocess_all:
        _say("dealwire reprocess --all ...")
        run = _checked(measure.dealwire("reprocess", "--all", "--db", str(db)))
        if run is None:
            return 1
        fig.reprocess_all_s = run.seconds
    fig.total_s = time.perf_counter() - started

    print(format_table(fig))
    print()
    lines = name_value_lines(fig)
    print("\n".join(f"{k}={v}" for k, v in lines.items()))
    if args.out:
        figures = {k: None if v == "n/a" else float(v) for k, v in lines.items()}
        Path(args.out).write_text(json.dumps({"figures": figures, "run": fig.context()}, indent=2) + "\n",
                                  encoding="utf-8")
    return 0


def _checked(run: measure.Run) -> measure.Run | None:
    if run.returncode != 0:
        print(f"Error: {' '.join(run.argv[:2])} ... exited with {run.returncode}", file=sys.stderr)
        print(run.stdout[-2000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
        return None
    return run


def _pages_fetched(run: measure.Run) -> int | None:
    found = re.search(r"^pages:\s+(\d+) fetched", run.stdout, re.MULTILINE)
    return int(found.group(1)) if found else None


def _ingest_processes() -> int:
    """The n_process `dealwire ingest` will use, so the ceiling runs in the same process setup."""
    try:
        from flows.config import load_settings

        return load_settings().n_process
    except Exception:
        return int(os.environ.get("DEALWIRE_N_PROCESS") or 1)


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?") if Path("/proc/cpuinfo").exists() else "?"
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=1000, help="corpus size (default 1000)")
    p.add_argument("--out", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--per-feed", type=int, default=100, help="items per feed file (default 100)")
    p.add_argument("--seed", type=int, default=5, help="corpus random seed (default 5)")
    p.add_argument("--n-process", type=int, default=0,
                   help="spaCy processes for the nlp.pipe ceiling (default: what ingest uses)")
    p.add_argument("--page-articles", type=int, default=200,
                   help="articles for the ingest whose pages are fetched from a loopback server (default 200; 0 skips)")
    p.add_argument("--keep", action="store_true", help="keep the temporary feeds and database")
    p.add_argument("--ingest-only", action="store_true",
                   help="skip the model-alone and reprocess --all figures (for large corpora)")
    return p


if __name__ == "__main__":
    sys.exit(main())
