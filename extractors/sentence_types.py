"""The sentence classifier: which deal types a sentence states, learned from the train/ evidence sentences.

`dealwire_sentence_types` reads each sentence with its company names and amounts masked (so it learns
how deals are written, not who makes them) and writes `doc.spans["deal_sentences"]`: one span per
sentence and deal type scored at or above the threshold, labelled with the type. The deal rules use
it only where no cue of theirs matched. `make train` rebuilds the model (flows/train.py).
"""
from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.deals import units

MODEL = Path(__file__).resolve().parent / "models" / "sentence_types"
THRESHOLD = 0.15   # chosen on held-out folds 1-3 (flows/train.py --cv): recall gained for precision kept


def masked_text(unit: Span) -> str:
    """The sentence as the classifier reads it: lower case, each name "xorg", each amount "xmoney"."""
    masks: dict[int, str] = {}
    for group, word in (("money", "xmoney"), ("companies", "xorg")):
        for span in unit.doc.spans[group]:
            if unit.start <= span.start and span.end <= unit.end:
                masks.update({i: "" for i in range(span.start, span.end)})
                masks[span.start] = word
    words = (masks.get(t.i, t.lower_) for t in unit if not t.is_space)
    return " ".join(w for w in words if w)


@Language.factory("dealwire_sentence_types", default_config={"threshold": THRESHOLD})
def make_sentence_types(nlp: Language, name: str, threshold: float) -> "SentenceTypes":
    return SentenceTypes(threshold)


class SentenceTypes:
    def __init__(self, threshold: float):
        self.threshold = threshold
        self.model: Language | None = None

    def use(self, model: Language) -> "SentenceTypes":
        self.model = model
        return self

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        if self.model is not None:
            parts = list(units(doc))
            for unit, scored in zip(parts, self.model.pipe(masked_text(u) for u in parts)):
                spans += [Span(doc, unit.start, unit.end, label=t) for t, p in scored.cats.items()
                          if p >= self.threshold]
        doc.spans["deal_sentences"] = spans
        return doc


def load_model(path: Path = MODEL) -> Language | None:
    """The trained classifier, or None when it has not been built."""
    import spacy

    return spacy.load(path) if (path / "meta.json").exists() else None
