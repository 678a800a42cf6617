"""dealwire's command line: parse argv, build Settings, call a flow, print the outcome."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import replace
from importlib.metadata import version

from flows.config import load_settings, quiet_prefect
from flows.errors import DealwireError, UsageError

EPILOG = "The database defaults to $DEALWIRE_DB, else data/dealwire.duckdb."


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = args.command(args)
        sys.stdout.flush()      # a reader that went away shows here, not as a traceback at exit
        return status
    except (Exception, KeyboardInterrupt) as exc:
        status = exit_status(exc)
        if status is None:
            raise
        return status


def exit_status(exc: BaseException) -> int | None:
    """The one place an error becomes what the user sees: usage 2, a failure 1 (each with one line,
    'Error: ...'), an interrupt 130, a closed output pipe 141; None for a bug (its traceback is shown)."""
    from storage.db import StorageError

    if isinstance(exc, BrokenPipeError):
        # `dealwire sql ... | head`: the reader has what it wanted. Say nothing, as other tools do, and
        # point stdout at /dev/null so that the interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    if isinstance(exc, KeyboardInterrupt):
        print("Interrupted; what was stored so far is kept, and the next run carries on.", file=sys.stderr)
        return 130
    if not isinstance(exc, (DealwireError, StorageError)):
        return None
    print("Error: " + " ".join(str(exc).split()), file=sys.stderr)
    return 2 if isinstance(exc, UsageError) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dealwire", description="AI-infrastructure deals from news feeds, into DuckDB.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"dealwire {version('dealwire')}")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="one run over every feed in the config", epilog=EPILOG,
                         description="Fetch every feed in the config, extract deals, store them.")
    run.add_argument("--config", metavar="FILE", help="feeds and settings (default seeds/feeds.toml)")
    _common(run)
    _no_wait(run)
    run.set_defaults(command=cmd_run)

    ingest = sub.add_parser("ingest", help="the same run over the feeds given", epilog=EPILOG,
                            description="Fetch the given feeds (http(s) URLs or local files), extract, store.")
    ingest.add_argument("feeds", nargs="+", metavar="FEED", help="feed URL or local file path")
    ingest.add_argument("--config", metavar="FILE", help="settings file (its feed list is ignored)")
    _common(ingest)
    _no_wait(ingest)
    ingest.set_defaults(command=cmd_ingest)

    reprocess = sub.add_parser(
        "reprocess", help="re-extract stored articles: one, the stale ones, or all", epilog=EPILOG,
        description="Re-extract stored articles with the current extractors; fetches nothing. Prints, and "
                    "records in the runs table, the deals added, removed and changed per type. An interrupted "
                    "--stale or --all carries on where it stopped when run again.")
    reprocess.add_argument("article", metavar="ARTICLE", nargs="?", help="article_id or URL")
    which = reprocess.add_mutually_exclusive_group()
    which.add_argument("--stale", action="store_true",
                       help="every article extracted by another extractor version than the current one")
    which.add_argument("--all", action="store_true", help="every stored article")
    reprocess.add_argument("--config", metavar="FILE", help="settings file (batch_size, ...)")
    _common(reprocess, allow_private=False)
    _no_wait(reprocess)
    reprocess.set_defaults(command=cmd_reprocess)

    sql = sub.add_parser("sql", help="run SQL on the database, read-only", epilog=EPILOG,
                         description="Run one SQL statement on the database, read-only, and print a table.")
    sql.add_argument("query", metavar="QUERY")
    sql.add_argument("--db", metavar="PATH", help="DuckDB file")
    sql.set_defaults(command=cmd_sql)

    serve = sub.add_parser(
        "serve", help="run the config's feeds on a schedule, with Prefect", epilog=EPILOG,
        description="Serve `dealwire run` as a Prefect deployment on a schedule (default every 60 minutes) until "
                    "stopped with Ctrl-C. Without PREFECT_API_URL, starts a local Prefect server (UI on "
                    "http://127.0.0.1:PORT) and stops it on exit.")
    when = serve.add_mutually_exclusive_group()
    when.add_argument("--cron", metavar="EXPR", help="cron expression, e.g. '*/30 * * * *' (UTC)")
    when.add_argument("--interval", metavar="MINUTES", type=float, help="minutes between runs (default 60)")
    serve.add_argument("--config", metavar="FILE", help="feeds and settings (default seeds/feeds.toml)")
    serve.add_argument("--port", metavar="PORT", type=int, default=4200,
                       help="port of the local Prefect server it starts (default 4200)")
    _common(serve)
    serve.set_defaults(command=cmd_serve)
    return parser


def _common(p: argparse.ArgumentParser, allow_private: bool = True) -> None:
    p.add_argument("--db", metavar="PATH", help="DuckDB file")
    if allow_private:
        p.add_argument("--allow-private", action="store_true",
                       help="allow feed URLs on loopback/private addresses (also DEALWIRE_ALLOW_PRIVATE=1)")


def _no_wait(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-wait", action="store_true",
                   help="if another run is using the database, exit 1 at once instead of waiting for it")


def cmd_run(args) -> int:
    settings = load_settings(args.config, args.db, args.allow_private)
    if not settings.feeds:
        raise UsageError(f"no [[feed]] entries in {args.config or 'seeds/feeds.toml'}")
    return _ingest(list(settings.feeds), _waiting(settings, args))


def cmd_ingest(args) -> int:
    from flows.fetch import local_path

    settings = load_settings(args.config, args.db, args.allow_private)
    missing = [feed for feed in args.feeds if (path := local_path(feed)) is not None and not path.exists()]
    if missing:
        raise UsageError(f"no such feed file: {', '.join(missing)}")
    return _ingest(args.feeds, _waiting(settings, args))


def _waiting(settings, args):
    return replace(settings, wait_for_lock=False) if args.no_wait else settings


def _ingest(sources: list[str], settings) -> int:
    from flows.runs import check_database, exclusive_run

    # The lock is taken here, before Prefect and spaCy load, so a run that waits starts no flow run
    # and --no-wait fails at once; the flow takes it again (re-entrant) for runs a schedule starts.
    with exclusive_run(settings):
        check_database(settings)
        api = _prefect()
        from flows.ingest import ingest

        print(f"Ingesting {len(sources)} feed(s) into {settings.db_path}", file=sys.stderr)
        api.ready()
        summary = ingest(sources, settings)
    print(f"feeds:    {summary.feeds_ok} fetched, {summary.feeds_not_modified} not modified, "
          f"{len(summary.failures)} failed")
    for feed, reason in summary.failures:
        print(f"  failed: {feed}: {reason}")
    print(f"articles: {summary.articles_new} new, {summary.articles_updated} updated, "
          f"{summary.articles_unchanged} unchanged")
    if summary.pages_fetched or summary.pages_not_modified or summary.pages_failed:
        print(f"pages:    {summary.pages_fetched} fetched, {summary.pages_not_modified} not modified, "
              f"{summary.pages_failed} failed")
    print(f"deals:    {summary.deals} found in new and updated articles")
    print(f"time:     {summary.seconds:.1f} s")
    return 0 if summary.ok else 1


def _prefect():
    """Prefect's API for this run, quiet; its server (if one is started) comes up while the flows import."""
    from flows.prefect_api import prefect_api

    quiet_prefect()
    return prefect_api()


def cmd_reprocess(args) -> int:
    if bool(args.article) == (args.stale or args.all):
        raise UsageError("give one ARTICLE, or --stale, or --all")
    settings = _waiting(load_settings(args.config, args.db), args)
    from flows.runs import check_database, exclusive_run

    with exclusive_run(settings):
        check_database(settings, must_exist=True, article=args.article)
        api = _prefect()
        from flows.reprocess import reprocess_article, reprocess_articles

        api.ready()
        if args.article:
            result = reprocess_article(args.article, settings)
            print(f"article {result.article_id} ({result.url or 'no url'}): "
                  f"{result.deals_before} deal(s) before, {result.deals_after} now; extractor {result.version}")
            print(format_changes(result.changes))
            return 0
        scope = "stale" if args.stale else "all"
        print(f"Reprocessing {'stale' if args.stale else 'all'} articles in {settings.db_path}", file=sys.stderr)
        summary = reprocess_articles(scope, settings)
    resumed = f" (resumed after {summary.resumed_after})" if summary.resumed_after else ""
    print(f"articles: {summary.articles} reprocessed{resumed}; extractor {summary.version}")
    print(format_changes(summary.changes))
    print(f"time:     {summary.seconds:.1f} s")
    return 0


def format_changes(changes: dict[str, dict[str, int]]) -> str:
    """'deals: 3 added, 1 removed, 2 changed, 40 unchanged' and one such line per deal type."""
    kinds = ("added", "removed", "changed", "unchanged")
    totals = {k: sum(c.get(k, 0) for c in changes.values()) for k in kinds}
    line = lambda counts: ", ".join(f"{counts.get(k, 0)} {k}" for k in kinds)  # noqa: E731
    return "\n".join([f"deals:    {line(totals)}"] + [f"  {t}: {line(c)}" for t, c in sorted(changes.items())])


def cmd_serve(args) -> int:
    from flows.serve import check_cron, serve

    settings = load_settings(args.config, args.db, args.allow_private)
    if not settings.feeds:
        raise UsageError(f"no [[feed]] entries in {args.config or 'seeds/feeds.toml'}")
    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be a positive number of minutes")
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    # The command line wins; else the config's [settings] schedule_cron / schedule_interval_minutes.
    cron = args.cron if args.cron or args.interval is not None else settings.schedule_cron
    interval = args.interval if args.interval is not None else (None if cron else settings.schedule_interval_minutes)
    if cron is not None:
        check_cron(cron, "--cron" if args.cron else f"config {args.config or 'seeds/feeds.toml'}: "
                                                    "[settings] schedule_cron")
    return serve(settings, config=args.config, cron=cron, interval_minutes=interval, port=args.port)


def cmd_sql(args) -> int:
    from storage.db import Database
    from storage.reads import run_query

    if not args.query.strip():
        raise UsageError('give one SQL statement, e.g. dealwire sql "SELECT count(*) FROM deals"')
    settings = load_settings(None, args.db)
    started = time.monotonic()
    # A run holds the file only while it writes a batch; waiting here turns that moment into a delay.
    with Database(settings.db_path, read_only=True, lock_wait_s=settings.read_wait_s) as db:
        try:
            columns, rows = run_query(db, args.query)
        except Exception as exc:  # duckdb's own errors: show the message, not a traceback
            raise DealwireError(f"query failed: {str(exc).splitlines()[0]}") from None
    if columns:
        print(format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''}, {time.monotonic() - started:.2f} s)",
              file=sys.stderr)
    return 0


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    def cell(value) -> str:
        text = "NULL" if value is None else str(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: " | ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells])


if __name__ == "__main__":
    sys.exit(main())
