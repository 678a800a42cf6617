"""`make train`: build the sentence classifier (extractors/sentence_types.py) from ../shared/eval/train.

    python -m flows.train ../shared/eval/train            # train on every article, write the model
    python -m flows.train ../shared/eval/train --cv 4,5   # held-out figures: rules alone vs with the classifier

Labels come from each gold deal's `evidence` sentence: the sentences it overlaps state a deal of its
type; background deals and every other sentence state none. Deterministic: a fixed seed, articles in id
order, the same input gives the same weights.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from flows.evaluate import fold_of, load_articles, load_scorer, parsed_texts

SEED = 0
EPOCHS = 12
BOW_ROWS = 1 << 16


def annotated_docs(scorer, articles: list[dict]) -> tuple[list, object]:
    """Each article as the ingest annotates it before any deal decision, and the pipeline's deal cues."""
    from extractors.pipeline import load_pipeline

    nlp = load_pipeline(sentence_model=None)
    texts = parsed_texts(scorer, articles)
    with nlp.select_pipes(disable=["dealwire_deals"]):
        docs = list(nlp.pipe((texts[scorer.norm_url(a["url"])] for a in articles), batch_size=16))
    return docs, nlp.get_pipe("dealwire_deals").cues


def examples(article: dict, doc) -> list[tuple[str, dict[str, float]]]:
    """(masked sentence, {deal type: 0 or 1}) for every sentence of one article."""
    from extractors.deals import units
    from extractors.records import DEAL_TYPES
    from extractors.sentence_types import masked_text

    stated = []
    for deal in article.get("deals") or []:
        start = doc.text.find(deal.get("evidence") or "\x00")
        if start >= 0 and not deal.get("background"):
            stated.append((start, start + len(deal["evidence"]), deal["type"]))
    out = []
    for unit in units(doc):
        types = {t for s, e, t in stated if _overlaps(unit.start_char, unit.end_char, s, e)}
        out.append((masked_text(unit), {t: float(t in types) for t in DEAL_TYPES}))
    return out


def _overlaps(us: int, ue: int, es: int, ee: int) -> bool:
    shared = min(ue, ee) - max(us, es)
    return shared > 0 and shared >= 0.5 * min(ue - us, ee - es)


def train(data: list[tuple[str, dict[str, float]]], seed: int = SEED):
    """A bag-of-words (1-3 grams) multi-label text classifier over the deal types."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    from extractors.records import DEAL_TYPES

    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 3,
        "no_output_layer": False, "length": BOW_ROWS}})
    for label in DEAL_TYPES:
        textcat.add_label(label)
    batch = [Example.from_dict(nlp.make_doc(text), {"cats": cats}) for text, cats in data]
    optimizer = nlp.initialize(lambda: batch)
    rng = random.Random(seed)
    for _ in range(EPOCHS):
        rng.shuffle(batch)
        for chunk in minibatch(batch, size=32):
            nlp.update(chunk, sgd=optimizer, drop=0.1)
    return nlp


def held_out(scorer, articles, docs, cues, folds: list[int]) -> dict:
    """Per fold: score.py's figures for the rules alone and with a classifier trained on the other folds."""
    from spacy.tokens import Span

    from extractors import deals as rules
    from extractors.sentence_types import THRESHOLD, masked_text

    out = {}
    for k in folds:
        model = train([x for a, d in zip(articles, docs) if fold_of(a["id"]) != k for x in examples(a, d)])
        test = [(a, d) for a, d in zip(articles, docs) if fold_of(a["id"]) == k]

        def with_classifier(doc):
            parts = list(rules.units(doc))
            doc.spans["deal_sentences"] = [Span(doc, u.start, u.end, label=t) for u, s in
                                           zip(parts, model.pipe(masked_text(u) for u in parts))
                                           for t, p in s.cats.items() if p >= THRESHOLD]
            try:
                return rules.deals_from_doc(doc, cues)
            finally:
                del doc.spans["deal_sentences"]

        out[k] = {"rules": _score(scorer, test, lambda doc: rules.deals_from_doc(doc, cues)),
                  "rules+classifier": _score(scorer, test, with_classifier)}
        print(f"fold {k}: " + "; ".join(f"{name} deal_f1 {r['deal_f1']} strict {r['record_acc_strict']}"
                                        for name, r in out[k].items()), file=sys.stderr)
    return out


def _score(scorer, pairs, deals_of) -> dict:
    import tempfile

    from extractors.pipeline import extraction_from_doc

    deals, orgs = {}, {}
    for article, doc in pairs:
        url = scorer.norm_url(article["url"])
        deals[url] = [scorer.Deal(type=d.deal_type, company=d.company, amount=d.amount, currency=d.currency,
                                  round=d.round, valuation=d.valuation, status=d.status,
                                  participants=[(p.name, p.role) for p in d.participants]) for d in deals_of(doc)]
        orgs[url] = [m.text for m in extraction_from_doc(doc).mentions if m.label == "ORG"]
    scorer.read_predictions = lambda _db: (deals, orgs, set(deals))
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp, "gold.jsonl")
        gold.write_text("".join(json.dumps(a) + "\n" for a, _ in pairs), encoding="utf-8")
        return scorer.score(str(gold), "unused")


def main(argv: list[str] | None = None) -> int:
    from extractors.sentence_types import MODEL

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", type=Path, help="the directory of annotated articles (../shared/eval/train)")
    ap.add_argument("--cv", help="comma-separated folds (1..5) to report held out instead of training")
    ap.add_argument("--out", type=Path, default=MODEL, help=f"where the model goes (default {MODEL})")
    args = ap.parse_args(argv)
    if not args.gold.is_dir():
        print(f"Error: {args.gold} is not a directory of annotated .jsonl files", file=sys.stderr)
        return 2
    scorer = load_scorer(args.gold.parent)
    articles = sorted(load_articles(args.gold), key=lambda a: a["id"])
    docs, cues = annotated_docs(scorer, articles)
    if args.cv:
        print(json.dumps(held_out(scorer, articles, docs, cues, [int(f) for f in args.cv.split(",")]), indent=1))
        return 0
    model = train([x for a, d in zip(articles, docs) for x in examples(a, d)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.to_disk(args.out)
    print(f"wrote {args.out} from {len(articles)} articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
