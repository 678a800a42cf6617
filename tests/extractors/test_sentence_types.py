"""The trained sentence classifier: shipped with the code, used where no cue matched, rebuilt deterministically."""
from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Span

from extractors import deals as rules
from extractors.pipeline import extraction_from_doc, load_pipeline
from extractors.sentence_types import MODEL

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval"


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def test_the_shipped_model_is_in_the_pipeline_before_the_deals(nlp):
    assert (MODEL / "meta.json").exists()
    assert nlp.pipe_names.index("dealwire_money") < nlp.pipe_names.index("dealwire_sentence_types") \
        < nlp.pipe_names.index("dealwire_deals")


def test_a_funding_sentence_is_read_as_one_and_small_talk_is_not(nlp):
    doc = nlp("Quillfern Labs has raised $80 million in a Series B round led by Halyard Ventures. "
              "The weather in Ohio was mild on Tuesday.")
    labelled = {(s.start_char, s.label_) for s in doc.spans["deal_sentences"]}
    assert (0, "funding_round") in labelled
    assert all(start == 0 for start, _ in labelled)


def test_a_sentence_the_classifier_types_gets_a_deal_where_no_cue_matched():
    bare = load_pipeline(sentence_model=None)
    text = "Brightlattice Power will feed 300 megawatts to Corvane Systems from 2027."
    doc = bare(text)
    assert extraction_from_doc(doc).deals == ()
    doc.spans["deal_sentences"] = [Span(doc, 0, len(doc), label="supply_agreement")]
    found = rules.deals_from_doc(doc, bare.get_pipe("dealwire_deals").cues)
    assert [(d.deal_type, d.company, [p.name for p in d.participants]) for d in found] == \
        [("supply_agreement", "Brightlattice Power", ["Corvane Systems"])]


@pytest.mark.skipif(not (EVAL / "train").is_dir(), reason="../shared/eval is not here")
def test_training_gives_the_same_weights_twice():
    from flows.evaluate import load_articles, load_scorer
    from flows.train import annotated_docs, examples, train

    scorer = load_scorer(EVAL)
    articles = sorted(load_articles(EVAL / "train"), key=lambda a: a["id"])[:12]
    docs, _ = annotated_docs(scorer, articles)
    data = [x for a, d in zip(articles, docs) for x in examples(a, d)]
    assert any(any(cats.values()) for _, cats in data)
    assert train(data).to_bytes() == train(data).to_bytes()
