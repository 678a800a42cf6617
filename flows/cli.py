"""dealwire's command line: parse argv, build Settings, call a flow, print the outcome."""
from __future__ import annotations

import argparse
import sys
import time

from flows.config import load_settings, quiet_prefect
from flows.errors import DealwireError, UsageError

EPILOG = "The database defaults to $DEALWIRE_DB, else data/dealwire.duckdb."


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except UsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except DealwireError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; what was stored so far is kept, and the next run carries on.", file=sys.stderr)
        return 130
    except Exception as exc:
        from storage.db import StorageError

        if isinstance(exc, StorageError):
            print(f"Error: {exc}", file=sys.stderr)
            return 1
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dealwire", description="AI-infrastructure deals from news feeds, into DuckDB.", epilog=EPILOG)
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="one run over every feed in the config", epilog=EPILOG,
                         description="Fetch every feed in the config, extract deals, store them.")
    run.add_argument("--config", metavar="FILE", help="feeds and settings (default seeds/feeds.toml)")
    _common(run)
    run.set_defaults(command=cmd_run)

    ingest = sub.add_parser("ingest", help="the same run over the feeds given", epilog=EPILOG,
                            description="Fetch the given feeds (http(s) URLs or local files), extract, store.")
    ingest.add_argument("feeds", nargs="+", metavar="FEED", help="feed URL or local file path")
    ingest.add_argument("--config", metavar="FILE", help="settings file (its feed list is ignored)")
    _common(ingest)
    ingest.set_defaults(command=cmd_ingest)

    reprocess = sub.add_parser("reprocess", help="re-extract one stored article", epilog=EPILOG,
                               description="Re-extract a stored article (by article_id or URL); fetches nothing.")
    reprocess.add_argument("article", metavar="ARTICLE", help="article_id or URL")
    _common(reprocess, allow_private=False)
    reprocess.set_defaults(command=cmd_reprocess)

    sql = sub.add_parser("sql", help="run SQL on the database, read-only", epilog=EPILOG,
                         description="Run one SQL statement on the database, read-only, and print a table.")
    sql.add_argument("query", metavar="QUERY")
    sql.add_argument("--db", metavar="PATH", help="DuckDB file")
    sql.set_defaults(command=cmd_sql)
    return parser


def _common(p: argparse.ArgumentParser, allow_private: bool = True) -> None:
    p.add_argument("--db", metavar="PATH", help="DuckDB file")
    if allow_private:
        p.add_argument("--allow-private", action="store_true",
                       help="allow feed URLs on loopback/private addresses (also DEALWIRE_ALLOW_PRIVATE=1)")


def cmd_run(args) -> int:
    settings = load_settings(args.config, args.db, args.allow_private)
    if not settings.feeds:
        raise UsageError(f"no [[feed]] entries in {args.config or 'seeds/feeds.toml'}")
    return _ingest(list(settings.feeds), settings)


def cmd_ingest(args) -> int:
    settings = load_settings(args.config, args.db, args.allow_private)
    return _ingest(args.feeds, settings)


def _ingest(sources: list[str], settings) -> int:
    quiet_prefect()
    from flows.ingest import ingest

    print(f"Ingesting {len(sources)} feed(s) into {settings.db_path}", file=sys.stderr)
    summary = ingest(sources, settings)
    print(f"feeds:    {summary.feeds_ok} fetched, {summary.feeds_not_modified} not modified, "
          f"{len(summary.failures)} failed")
    for feed, reason in summary.failures:
        print(f"  failed: {feed}: {reason}")
    print(f"articles: {summary.articles_new} new, {summary.articles_updated} updated, "
          f"{summary.articles_unchanged} unchanged")
    print(f"deals:    {summary.deals} found in new and updated articles")
    print(f"time:     {summary.seconds:.1f} s")
    return 0 if summary.ok else 1


def cmd_reprocess(args) -> int:
    settings = load_settings(None, args.db)
    quiet_prefect()
    from flows.reprocess import reprocess_article

    result = reprocess_article(args.article, settings)
    print(f"article {result.article_id} ({result.url or 'no url'}): "
          f"{result.deals_before} deal(s) before, {result.deals_after} now; extractor {result.version}")
    return 0


def cmd_sql(args) -> int:
    from storage.db import Database
    from storage.reads import run_query

    settings = load_settings(None, args.db)
    started = time.monotonic()
    with Database(settings.db_path, read_only=True, lock_wait_s=10) as db:
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
