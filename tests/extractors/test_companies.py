"""Company mentions the real pipeline must find or refuse, on hand-written sentences."""
from __future__ import annotations

import pytest

from extractors.pipeline import load_pipeline


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def companies(nlp, text):
    return [s.text for s in nlp(text).spans["companies"]]


@pytest.mark.parametrize("dateline", ["OSLO - ", "OSLO, Norway, March 3, 2026 - ", "OSLO, March 3 (Wire) - ", "OSLO: "])
def test_dateline_is_cut_from_the_name_that_follows(nlp, dateline):
    found = companies(nlp, dateline + "Quillbrook Energy will invest $2 billion in a new data center.")
    assert "Quillbrook Energy" in found and not any("OSLO" in name for name in found)


def test_adverbial_opener_is_not_a_name(nlp):
    found = companies(nlp, "Alongside the loan, the Leeds-based company signed a supply deal with Tarnwick Labs.")
    assert not any(name.startswith("Alongside") for name in found)


def test_known_name_inside_a_hyphenated_adjective_is_not_a_company(nlp):
    found = companies(nlp, "Orbitax plans a gigawatt-scale AI campus and a modular AI cluster in Nevada.")
    assert "scale AI" not in found and "modular AI" not in found


def test_legal_suffix_after_a_comma_stays_with_the_name(nlp):
    found = companies(nlp, "Fernhollow Networks, Inc. agreed to buy a switch maker for $90 million.")
    assert "Inc." not in found and any(name.startswith("Fernhollow Networks") for name in found)


def test_unit_after_a_number_is_not_a_company(nlp):
    assert "MW" not in companies(nlp, "The first 150 MW phase of the Orbitax campus opens in 2027.")
