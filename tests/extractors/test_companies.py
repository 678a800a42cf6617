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
