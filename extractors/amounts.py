"""The money component: every amount in the text as a span in `doc.spans["money"]`."""
from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.money import find_money

if not Span.has_extension("money"):
    Span.set_extension("money", default=None)


@Language.component("dealwire_money")
def find_money_spans(doc: Doc) -> Doc:
    spans = []
    for match in find_money(doc.text):
        span = doc.char_span(match.start, match.end, label="MONEY", alignment_mode="expand")
        if span is not None:
            span._.money = match
            spans.append(span)
    doc.spans["money"] = spans
    return doc


@lru_cache(maxsize=8)
def doc_text(doc: Doc) -> str:
    """doc.text, built once: spaCy joins every token each time it is asked."""
    return doc.text
