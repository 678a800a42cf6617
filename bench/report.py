"""The figures of one benchmark run, as a plain-text table and as `name=value` lines."""
from __future__ import annotations

from dataclasses import asdict, dataclass

NA = "n/a"


@dataclass
class Figures:
    articles: int
    feeds: int
    words: int
    n_process: int
    machine: str
    nlp_pipe_s: float = 0.0
    nlp_load_s: float = 0.0
    model_alone_s: float = 0.0
    ingest_s: float = 0.0
    peak_rss_mb: float = 0.0
    peak_single_rss_mb: float = 0.0
    ingest_new: int | None = None
    rerun_s: float = 0.0
    rerun_new: int | None = None
    rerun_updated: int | None = None
    one_article_ingest_s: float = 0.0
    ingest_served_s: float = 0.0           # the first ingest again, with a Prefect server already running
    rerun_served_s: float = 0.0            # the re-run likewise
    one_article_served_s: float = 0.0      # the one-article ingest again, likewise
    pages_articles: int = 0                # summary-only articles whose pages a loopback server serves
    pages_ingest_s: float = 0.0
    pages_fetched: int | None = None       # as the run's summary counts them
    pages_requests: int = 0                # as the server counted them (robots.txt included)
    reprocess_all: bool = False
    reprocess_all_s: float | None = None
    total_s: float = 0.0

    def context(self) -> dict:
        return asdict(self)


def _rate(n: int, seconds: float | None) -> float | None:
    return n / seconds if seconds else None


def name_value_lines(f: Figures) -> dict[str, str]:
    """The figures issue 5 asks for, formatted; 'n/a' where the CLI cannot do it yet."""
    nlp = _rate(f.articles, f.nlp_pipe_s)
    ingest = _rate(f.articles, f.ingest_s)
    reprocess = _rate(f.articles, f.reprocess_all_s)
    return {
        "articles": str(f.articles),
        "words": str(f.words),
        "nlp_pipe_articles_per_s": _fmt(nlp, 2),
        "ingest_articles_per_s": _fmt(ingest, 2),
        "ratio": _fmt(ingest / nlp if ingest and nlp else None, 3),
        "rerun_s_over_first_s": _fmt(f.rerun_s / f.ingest_s if f.ingest_s else None, 3),
        "peak_rss_mb": _fmt(f.peak_rss_mb, 0),
        "one_article_ingest_s": _fmt(f.one_article_ingest_s, 1),
        "ratio_on_running_server": _fmt(_rate(f.articles, f.ingest_served_s) / nlp
                                        if f.ingest_served_s and nlp else None, 3),
        "rerun_on_running_server_s_over_first_s": _fmt(f.rerun_served_s / f.ingest_served_s
                                                       if f.ingest_served_s and f.rerun_served_s else None, 3),
        "one_article_ingest_on_running_server_s": _fmt(f.one_article_served_s or None, 1),
        "ingest_marginal_articles_per_s": _fmt(_rate(f.articles - 1, f.ingest_s - f.one_article_ingest_s), 2),
        "ingest_with_pages_articles_per_s": _fmt(_rate(f.pages_articles, f.pages_ingest_s), 2),
        "reprocess_all_articles_per_s": _fmt(reprocess, 2),
        "reprocess_all_ratio": _fmt(reprocess / nlp if reprocess and nlp else None, 3),
        "components_cost_over_model": _fmt((f.nlp_pipe_s - f.model_alone_s) / f.model_alone_s
                                           if f.model_alone_s else None, 3),
    }


def _fmt(value: float | None, digits: int) -> str:
    return NA if value is None else f"{value:.{digits}f}"


def _verdict(value: str, ok) -> str:
    if value == NA:
        return "-"
    return "ok" if ok(float(value)) else "MISSED"


def format_table(f: Figures) -> str:
    v = name_value_lines(f)
    rerun_note = f"{f.rerun_s:.1f} s vs {f.ingest_s:.1f} s"
    if f.rerun_new is not None:
        rerun_note += f"; {f.rerun_new} new, {f.rerun_updated} updated"
    reprocess_note = (f"{f.reprocess_all_s:.1f} s wall, whole process" if f.reprocess_all else
                      "skipped (--ingest-only)")
    rows = [
        ("nlp_pipe_articles_per_s", v["nlp_pipe_articles_per_s"], "ceiling", "-",
         f"{f.nlp_pipe_s:.1f} s, {f.n_process} process(es) forked after the load, batch 64; load {f.nlp_load_s:.1f} s excluded"),
        ("ingest_articles_per_s", v["ingest_articles_per_s"], "", "-",
         f"{f.ingest_s:.1f} s wall, whole process incl. start-up; {f.ingest_new} new articles"),
        ("ratio", v["ratio"], ">= 0.85", _verdict(v["ratio"], lambda x: x >= 0.85), "ingest / nlp_pipe"),
        ("rerun_s_over_first_s", v["rerun_s_over_first_s"], "<= 0.03",
         _verdict(v["rerun_s_over_first_s"], lambda x: x <= 0.03), rerun_note),
        ("peak_rss_mb", v["peak_rss_mb"], "flat; < 1536 at 10k", "-",
         f"ingest process tree, summed; largest single process {f.peak_single_rss_mb:.0f} MB"),
        ("one_article_ingest_s", v["one_article_ingest_s"], "", "-",
         "fixed cost: ingest of a one-article feed into a new database, whole process"),
        ("ratio_on_running_server", v["ratio_on_running_server"], "", "-",
         f"{f.ingest_served_s:.1f} s: the ingest with PREFECT_API_URL set to a server already up"),
        ("rerun_on_running_server_s_over_first_s", v["rerun_on_running_server_s_over_first_s"], "", "-",
         f"{f.rerun_served_s:.1f} s vs {f.ingest_served_s:.1f} s, both on that server"),
        ("one_article_ingest_on_running_server_s", v["one_article_ingest_on_running_server_s"], "", "-",
         "the fixed cost with PREFECT_API_URL set to a server already up"),
        ("ingest_marginal_articles_per_s", v["ingest_marginal_articles_per_s"], "", "-",
         "(articles - 1) / (ingest s - one_article s): ingest without its fixed cost"),
        ("ingest_with_pages_articles_per_s", v["ingest_with_pages_articles_per_s"], "", "-",
         f"{f.pages_ingest_s:.1f} s wall, whole process: {f.pages_articles} summary-only articles, {f.pages_fetched} "
         f"pages fetched ({f.pages_requests} requests) from one loopback host, no wait between requests, 4 at once"),
        ("reprocess_all_articles_per_s", v["reprocess_all_articles_per_s"], "", "-", reprocess_note),
        ("reprocess_all_ratio", v["reprocess_all_ratio"], "", "-", "reprocess --all / nlp_pipe"),
        ("components_cost_over_model", v["components_cost_over_model"], "<= 1.0",
         _verdict(v["components_cost_over_model"], lambda x: x <= 1.0),
         f"(full pipeline - model alone) / model alone; model alone {f.model_alone_s:.1f} s, same processes"),
    ]
    head = ("figure", "value", "target", "status", "how measured")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]

    def line(r) -> str:
        return "  ".join(c.ljust(wd) for c, wd in zip(r[:4], widths)) + "  " + r[4]

    title = (f"dealwire benchmark: {f.articles} articles ({f.words} words, {f.words / max(f.articles, 1):.0f} per "
             f"article) in {f.feeds} RSS feeds; {f.machine}; total {f.total_s:.0f} s")
    body = [line(r) for r in rows]
    rule = "-" * max(len(b) for b in [title, *body])
    return "\n".join([title, rule, line(head), rule, *body, rule])
