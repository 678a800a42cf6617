"""Score the extractors on gold articles in this process: the articles go through the same feed parser
and spaCy pipeline as an ingest, and `score.py` (beside the gold files) scores what comes out.

    python -m flows.evaluate ../shared/eval/train --folds 1,2,3 [--show 20]
    python -m flows.evaluate ../shared/eval/dev.jsonl

Nothing is written to a database: `score.py`'s own reader is handed the predictions directly, so the
figures are those `score.py score` gives for an ingested database. Folds split the articles of a
directory by a stable hash of their id (see `fold_of`), so they do not move when files are added.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

FOLDS = 5


def fold_of(article_id: str, folds: int = FOLDS) -> int:
    """1..folds, from the article id alone."""
    return int(hashlib.sha1(article_id.encode()).hexdigest(), 16) % folds + 1


def load_articles(source: Path, folds: set[int] | None = None) -> list[dict]:
    """Gold articles from a .jsonl file or every .jsonl in a directory, optionally only some folds."""
    files = sorted(source.glob("*.jsonl")) if source.is_dir() else [source]
    articles = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [a for a in articles if folds is None or fold_of(a["id"]) in folds]


def load_scorer(eval_dir: Path):
    spec = importlib.util.spec_from_file_location("dealwire_gold_score", eval_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def parsed_texts(scorer, articles: list[dict]) -> dict[str, str]:
    """url -> article text exactly as an ingest of score.py's feed stores it."""
    from flows.parse import parse_feed

    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp, "gold.jsonl")
        gold.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
        feed = Path(tmp, "gold.xml")
        scorer.write_feed(str(gold), str(feed))
        parsed = parse_feed(feed.read_bytes(), feed_url=str(feed))
    return {scorer.norm_url(a.url): a.text for a in parsed.articles}


def predictions(scorer, texts: dict[str, str], nlp, n_process: int = 1):
    """What score.py's read_predictions returns, from the pipeline's records instead of a database."""
    from extractors.pipeline import extraction_from_doc

    deals, orgs = {}, {}
    urls = list(texts)
    for url, doc in zip(urls, nlp.pipe((texts[u] for u in urls), batch_size=16, n_process=n_process)):
        extraction = extraction_from_doc(doc)
        deals[url] = [scorer.Deal(type=d.deal_type, company=d.company, amount=d.amount, currency=d.currency,
                                  round=d.round, valuation=d.valuation, status=d.status,
                                  participants=[(p.name, p.role) for p in d.participants])
                      for d in extraction.deals]
        orgs[url] = [m.text for m in extraction.mentions if m.label == "ORG"]
    return deals, orgs, set(urls)


def evaluate(articles: list[dict], eval_dir: Path, nlp=None, show: int = 0) -> dict:
    scorer = load_scorer(eval_dir)
    if nlp is None:
        from extractors.pipeline import load_pipeline

        nlp = load_pipeline()
    texts = parsed_texts(scorer, articles)
    found = predictions(scorer, texts, nlp)
    scorer.read_predictions = lambda _db: found
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp, "gold.jsonl")
        gold.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
        return scorer.score(str(gold), "unused", show)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", type=Path, help="a gold .jsonl file, or a directory of them")
    ap.add_argument("--folds", help="comma-separated folds (1..5) of a directory's articles")
    ap.add_argument("--show", type=int, default=0, help="print the first N articles with errors")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    folds = {int(f) for f in args.folds.split(",")} if args.folds else None
    eval_dir = args.gold if args.gold.is_dir() and (args.gold / "score.py").exists() else \
        (args.gold.parent if (args.gold.parent / "score.py").exists() else args.gold.parent.parent)
    result = evaluate(load_articles(args.gold, folds), eval_dir, show=args.show)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:18} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
