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


def test_person_introduced_by_a_title_is_not_a_company_even_by_surname(nlp):
    found = companies(nlp, "Orbitax Labs chief executive Mara Quentell said demand was strong. "
                           "Quentell said Orbitax Labs would raise $40 million.")
    assert "Orbitax Labs" in found and "Quentell" not in found and "Mara Quentell" not in found


def test_startup_the_model_calls_a_person_stays_a_company(nlp):
    found = companies(nlp, "Marlow Kestner, a startup that designs optical chips, raised $30 million. "
                           "Kestner will hire 40 engineers.")
    assert "Marlow Kestner" in found and "Kestner" in found


@pytest.mark.parametrize("text", ["The Tallowbrook Courier reported that Orbitax Labs would raise $40 million.",
                                  "Orbitax Labs will raise $40 million, the news site Tallowbrook Courier said.",
                                  "Orbitax Labs will raise $40 million, confirming a Tallowbrook Courier report."])
def test_publication_cited_as_a_source_is_not_a_company(nlp, text):
    found = companies(nlp, text)
    assert "Orbitax Labs" in found and not any("Tallowbrook" in name for name in found)


def test_known_wire_service_is_not_a_company(nlp):
    assert "Reuters" not in companies(nlp, "Orbitax Labs told Reuters it would raise $40 million from Halyard Ventures.")


def test_place_a_company_is_based_in_is_not_a_company(nlp):
    found = companies(nlp, "The Varnholm-based startup Orbitax Labs raised $40 million. Varnholm welcomed the news.")
    assert "Orbitax Labs" in found and "Varnholm" not in found


def test_site_and_project_names_are_not_companies(nlp):
    found = companies(nlp, "Orbitax Labs will expand its Quarry Ridge campus and build Project Tamarind in Ohio.")
    assert "Orbitax Labs" in found and "Quarry Ridge" not in found and "Project Tamarind" not in found


def test_ordinary_word_opening_a_sentence_is_not_a_company(nlp):
    found = companies(nlp, "Orbitax Labs sells cooling to utilities. Utilities have struggled to find transformers.")
    assert "Orbitax Labs" in found and "Utilities" not in found


def test_every_name_in_a_list_with_a_company_is_a_company(nlp):
    doc = nlp("Quillfern Labs raised $30 million in a Series A led by Sequoia Capital. "
              "Ardent Silicon, Accel and 4RC Partners also invested.")
    names = {s.text for s in doc.spans["companies"]}
    assert {"Ardent Silicon", "Accel", "4RC Partners"} <= names


def test_a_person_listed_with_companies_stays_a_person(nlp):
    doc = nlp("Quillfern Labs raised $30 million. Sequoia Capital, Accel and Marc Benioff also invested.")
    assert "Marc Benioff" not in {s.text for s in doc.spans["companies"]}
