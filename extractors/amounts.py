"""The money component: every amount in the text as a span in `doc.spans["money"]`."""
from __future__ import annotations

from dataclasses import astuple
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.money import MoneyMatch, find_money

_KEY = "dealwire.money"


def _get_money(span: Span) -> MoneyMatch | None:
    stored = span.doc.user_data.get((_KEY, span.start_char, span.end_char))
    return MoneyMatch(*stored) if stored is not None else None


def _set_money(span: Span, match: MoneyMatch) -> None:
    # Plain values in user_data, so that Doc.to_bytes() (msgpack) keeps them.
    span.doc.user_data[(_KEY, span.start_char, span.end_char)] = astuple(match)


if not Span.has_extension("money"):
    Span.set_extension("money", getter=_get_money, setter=_set_money)


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
