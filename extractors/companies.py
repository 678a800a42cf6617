"""Find the companies in a Doc: known names, spaCy's ORGs, and unknown names from how news is written.

The component writes `doc.spans["companies"]`; each span's `id_` is the company's canonical name and
its `kb_id_` the fullest form the article uses for it.
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extractors.versions import COMPANIES as VERSION  # noqa: F401  (this component's own version)

LEGAL_SUFFIXES = {"inc", "inc.", "corp", "corp.", "corporation", "co", "co.", "ltd", "ltd.", "llc", "plc",
                  "limited", "gmbh", "ag", "sa", "s.a.", "nv", "n.v.", "bv", "se", "l.p.", "lp"}
# Entity labels spaCy's small model gives companies it does not know (it calls Nvidia a place).
_MISLABELS = {"GPE", "PERSON", "NORP", "PRODUCT", "FAC", "WORK_OF_ART", "LOC", "EVENT", "LAW"}
_NAME_POS = {"PROPN"}
_JOINERS = {"&", "-", "and", "of", "'s"}
_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9-]*\.[a-z]{2,}")  # "io.net": a lower-case name that is still a name
_INSTITUTION_HEADS = {"Ministry", "Department", "Office", "Bureau", "Agency", "Commission", "University", "Bank"}
# A dateline opens a line with a place in capitals, then perhaps a region, a date and a wire marker,
# then a dash or colon: "ROSELAND, N.J. --", "AUSTIN, Texas, May 13, 2025 -", "TOKYO, Dec 2 (Wire) -",
# "MUMBAI:". It names a place, never a company, and the name that follows is not part of it.
_DATELINE = re.compile(r"""(?m)^(?P<place>[A-Z][A-Z.'’]+(?:[ /-][A-Z][A-Z.'’]*)*)
    (?:,[ ]+[\w.'’]+(?:[ ][\w.'’]+){0,3}){0,4}
    (?:[ ]*[(/][A-Za-z][A-Za-z ]{1,30}[)/])?
    [ ]*(?:--|—|–|-|:)[ ]""", re.X)
_LEADING_DROP = {"the", "a", "an", "its", "their", "rival", "rivals", "startup", "start-up"}


@Language.factory("dealwire_companies")
def make_company_finder(nlp: Language, name: str) -> "CompanyFinder":
    return CompanyFinder()


class CompanyFinder:
    def __init__(self):
        self.known: dict[str, str] = {}
        self.known_folded: dict[str, str] = {}
        self.never: set[str] = set()
        self.suffixes: set[str] = set()
        self.descriptors: set[str] = set()
        self.subject_verbs: set[str] = set()

    def use(self, known: dict[str, str], lexicon: dict) -> "CompanyFinder":
        self.known = dict(known)
        self.known_folded = {_fold(k): v for k, v in known.items()}
        self.never = {w.casefold() for w in lexicon.get("not_companies", {}).get("words", [])}
        self.suffixes = {w.casefold() for w in lexicon.get("company_suffixes", {}).get("words", [])}
        self.descriptors = {w.casefold() for w in lexicon.get("company_descriptors", {}).get("words", [])}
        self.subject_verbs = {w.casefold() for w in lexicon.get("company_subject_verbs", {}).get("words", [])}
        self.titles = {w.casefold() for w in lexicon.get("person_titles", {}).get("words", [])}
        self.outlets = {_fold(_no_article(w)) for w in lexicon.get("news_outlets", {}).get("words", [])}
        self.outlet_nouns = {w.casefold() for w in lexicon.get("outlet_descriptors", {}).get("words", [])}
        self.reported_then = set(lexicon.get("outlet_cues", {}).get("reported_then", []))
        self.site_nouns = {w.casefold() for w in lexicon.get("site_nouns", {}).get("words", [])}
        self.project_heads = {w.casefold() for w in lexicon.get("project_heads", {}).get("words", [])}
        return self

    def __call__(self, doc: Doc) -> Doc:
        candidates: list[Span] = []
        for ent in doc.ents:
            if ent.label_ == "ORG" or (ent.label_ in _MISLABELS and self._looks_like_company(ent)):
                candidates.append(ent)
        candidates.extend(self._from_syntax(doc))
        candidates.extend(self._sentence_openers(doc, self._datelines(doc)))
        candidates.extend(self._coordinated(doc, candidates))
        candidates.extend(_listed(doc, candidates, self.suffixes))
        candidates.extend(_after_lead_cue(doc, candidates))
        datelines = self._datelines(doc)
        spans = []
        for candidate in candidates:
            candidate = _after_dateline(candidate, datelines)
            for span in self._split_list(candidate) if len(candidate) else ():
                span = self._trim(span)
                if span is not None and self._acceptable(span):
                    spans.append(span)
        not_companies = self._people(doc, spans) | self._outlets(doc, spans) | self._places(doc, spans, datelines)
        spans = [s for s in spans if not self._named_in(s, not_companies)]
        spans = _longest_first(spans + self._short_forms(doc, spans, datelines))
        spans = [s for s in spans if not self._named_in(s, not_companies)]
        doc.spans["companies"] = self._resolve(doc, spans)
        return doc

    # -- candidates ---------------------------------------------------------------------------
    def _datelines(self, doc: Doc) -> list[tuple[int, int]]:
        """Character ranges of datelines; a known company in capitals before a colon ("AMD: ...") is not one."""
        return [(m.start(), m.end()) for m in _DATELINE.finditer(doc.text)
                if _fold(m.group("place")) not in self.known_folded]

    def _looks_like_company(self, span: Span) -> bool:
        text = span.text
        if span.ent_id_ or _fold(text) in self.known_folded:
            return True
        last = span[-1].text.casefold()
        return span.label_ != "PERSON" and len(span) > 1 and last in self.suffixes

    def _from_syntax(self, doc: Doc) -> list[Span]:
        """Proper-noun names the statistical model missed, found by how the sentence uses them."""
        found = []
        for start, end in _name_runs(doc):
            span = doc[start:end]
            if any(t.ent_type_ in ("PERSON", "GPE", "DATE", "NORP", "LOC", "TIME", "MONEY", "CARDINAL",
                                   "PERCENT", "ORDINAL", "QUANTITY") and not t.ent_id_ for t in span):
                if not (len(span) > 1 and span[-1].text.casefold() in self.suffixes):
                    continue
            if self._used_as_company(span):
                found.append(span)
        return found

    def _sentence_openers(self, doc: Doc, datelines: list[tuple[int, int]]) -> list[Span]:
        """"io.net, a startup that ...": a short opener described as a company, whatever its casing."""
        found = []
        for sent in doc.sents:
            first = sent.start
            dash = next((t.i for t in sent[:10] if t.text in ("--", "—", "–")), None)
            if dash is not None:
                first = dash + 1  # after a dateline: "SAN FRANCISCO -- io.net, a startup ..."
            while first < sent.end and any(start <= doc[first].idx < end for start, end in datelines):
                first += 1
            for size in (1, 2, 3):
                if first + size + 2 >= sent.end or doc[first + size].text != ",":
                    continue
                head = doc[first: first + size]
                follow = doc[first + size + 1: min(sent.end, first + size + 8)]
                if follow[0].lower_ in ("a", "an", "the") and any(
                        t.lower_ in self.descriptors or t.lemma_.lower() in self.descriptors for t in follow):
                    # The description decides, whatever the model labelled the name (it calls many startups people).
                    if not any(t.ent_type_ in ("DATE", "TIME") for t in head) and _could_be_name(head):
                        found.append(head)
                break
        return found

    def _used_as_company(self, span: Span) -> bool:
        doc = span.doc
        last = span[-1]
        if len(span) > 1 and last.text.casefold() in self.suffixes:
            return True
        # "X, a startup that ...", "X, the chipmaker", "X (Las Vegas): $43 million"
        after = doc[span.end: span.end + 10]
        if len(after) >= 2 and after[0].text in (",", "(") :
            for tok in after[1:]:
                if tok.text in (".", ";", ")") and after[0].text == ",":
                    break
                if tok.lemma_.casefold() in self.descriptors or tok.text.casefold() in self.descriptors:
                    return True
        if _opens_item(span) and span.end < len(doc) and (
                doc[span.end].text in (":", "(") or _item_label_list(doc, span.end)):
            return True
        # "startup X", "chipmaker X"
        before = doc[span.start - 1] if span.start > 0 else None
        if before is not None and (before.lemma_.casefold() in self.descriptors):
            return True
        # "X raised", "X said on Tuesday", "X has agreed to acquire"
        head = last.head if last.dep_ in ("compound", "flat") else last
        if head.dep_ in ("nsubj", "nsubjpass") and head.head.lemma_.casefold() in self.subject_verbs:
            return True
        return False

    def _short_forms(self, doc: Doc, found: list[Span], datelines: list[tuple[int, int]]) -> list[Span]:
        """Other mentions of a company already found: repeated, or short ("Corvane" after "Corvane Systems
        Inc."), whatever label the statistical model gave them."""
        keys = {_key(span.text) for span in found}
        taken = {t.i for span in found for t in span}
        extra = []
        for start, end in _title_runs(doc):
            if taken.intersection(range(start, end)) or any(a <= doc[start].idx < b for a, b in datelines):
                continue
            key = _key(doc[start:end].text)
            if key and len("".join(key)) >= 3 and any(len(k) >= len(key) and k[: len(key)] == key for k in keys):
                extra.append(Span(doc, start, end, label="ORG"))
        return extra

    def _coordinated(self, doc: Doc, found: list[Span]) -> list[Span]:
        """Names listed with a company ("led by Primary Venture Partners and Positive Sum") are companies."""
        in_found = {t.i for span in found for t in span}
        extra = []
        for start, end in _title_runs(doc):
            span = doc[start:end]
            if in_found.intersection(range(start, end)):
                continue
            root = span.root
            linked = [root.head] if root.dep_ == "conj" else []
            linked += [c for c in root.children if c.dep_ == "conj"]
            # A listed name is a company unless it is wholly a person, place or date ("Bezos Expeditions" is not).
            if any(t.i in in_found for t in linked) and not _wholly_entity(span, ("PERSON", "GPE", "DATE")):
                extra.append(span)
        return extra

    def _split_list(self, span: Span) -> list[Span]:
        """spaCy sometimes runs a list into one entity ("Crescent Cove, Mercato Partners"): cut it."""
        if span.ent_id_ or _fold(span.text) in self.known_folded or any(t.text in _INSTITUTION_HEADS for t in span):
            return [span]
        cut = next((t.i for t in span if t.text in ("'s", "’s") and t.i > span.start and t.i + 1 < span.end
                    and span.doc[t.i + 1].is_quote), None)
        if cut is not None:  # "Womply's “Efortless Offers”": the owner, not its product
            span = span.doc[span.start:cut]
        parts, start = [], span.start
        for tok in span:
            if tok.text == "," and not (tok.i + 1 < span.end and tok.nbor().lower_ in LEGAL_SUFFIXES) or (tok.lower_ == "and" and tok.i + 1 < span.end and tok.nbor().text[:1].isupper()
                                   and tok.i > span.start and tok.nbor(-1).text[:1].isupper()):
                if tok.i > start:
                    parts.append(span.doc[start:tok.i])
                start = tok.i + 1
        if start < span.end:
            parts.append(span.doc[start:span.end])
        return parts if len(parts) > 1 else [span]

    # -- people and publications ---------------------------------------------------------------
    def _named_in(self, span: Span, names: set[str]) -> bool:
        """The span is one of these people or publications, and not a name known to be a company."""
        return _fold(_no_article(span.text)) in names and _fold(span.text) not in self.known_folded

    def _people(self, doc: Doc, found: list[Span]) -> set[str]:
        """Folded names of people, and their surnames alone: whoever a title introduces ("chief executive
        Sam Altman", "Wes Cummins, the chairman"), or the model calls a person in two or more words and
        nothing else in the article shows to be a company ("Robert Bosch, Infineon and NXP")."""
        people = []
        for start, end in _title_runs(doc):
            span = doc[start:end]
            while len(span) > 1 and self._title_before(span[:1], 1):
                span = span[1:]  # "Chancellor Olaf Scholz": the title is not part of the name
            if self._title_before(span, 2) or self._title_before(span, 1) or self._role_after(span):
                people.append(span)
        companies = {_fold(span.text) for span in found}
        people += [e for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 and _fold(e.text) not in companies]
        names = set()
        for span in people:
            while len(span) > 1 and span[-1].text in ("'s", "’s", "'"):
                span = span[:-1]  # "Elon Musk's xAI"
            if span[-1].text.casefold() in self.suffixes or _fold(span.text) in self.known_folded:
                continue  # "Harbrook Compute": the model calls many startups people
            names.add(_fold(span.text))
            if len(span) > 1:
                names.add(_fold(span[-1].text))
        return names

    def _title_before(self, span: Span, size: int) -> bool:
        words = span.doc[max(0, span.start - size): span.start]
        return len(words) == size and " ".join(t.lower_ for t in words) in self.titles

    def _role_after(self, span: Span) -> bool:
        """"Wes Cummins, the chairman and chief executive, said"."""
        after = span.doc[span.end: span.end + 4]
        if len(after) < 2 or after[0].text != ",":
            return False
        words = after[2:] if after[1].lower_ in ("the", "its", "a", "an", "his", "her", "their") else after[1:]
        return any(" ".join(t.lower_ for t in words[:size]) in self.titles for size in (1, 2, 3))

    def _outlets(self, doc: Doc, found: list[Span]) -> set[str]:
        """Folded names of publications: known ones, and any the article cites as a source ("X reported
        that", "a X report", "the news site X", "according to X")."""
        names = set(self.outlets)
        for span in found:
            before, after = doc[max(0, span.start - 3): span.start], doc[span.end: span.end + 3]
            reported = len(after) >= 2 and after[0].lower_ in ("reported", "reports") and \
                after[1].lower_ in self.reported_then or \
                len(after) >= 2 and after[0].lower_ in ("first", "previously", "earlier") and \
                after[1].lower_ == "reported"
            report = len(after) >= 1 and after[0].lower_ in ("report", "reports") and \
                len(before) >= 1 and before[-1].lower_ in ("a", "the", "an")
            described = any(" ".join(t.lower_ for t in before[i:]) in self.outlet_nouns for i in range(len(before))) \
                or len(after) >= 1 and after[0].lower_ in self.outlet_nouns
            if (reported or report or described) and span[-1].text.casefold() not in self.suffixes:
                names.add(_fold(_no_article(span.text)))
        return names

    def _places(self, doc: Doc, found: list[Span], datelines: list[tuple[int, int]]) -> set[str]:
        """Folded names of places and sites: a dateline's place ("OSLO, Sept 24 -"), a place a company is
        based in ("the Pangyo-based startup"), a site ("its Barber Lake campus", "a campus in Ellendale")."""
        names = {_fold(part) for start, end in datelines
                 for part in re.split(r"[/,]", doc.text[start:end].split(",")[0]) if part.strip()}
        for span in found:
            after = doc[span.end: span.end + 2]
            before = doc[max(0, span.start - 2): span.start]
            based = len(after) == 2 and after[0].text in ("-", "–") and after[1].lower_ in ("based", "headquartered")
            site = bool(after) and (after[0].lower_ in self.site_nouns or
                                    " ".join(t.lower_ for t in after) in self.site_nouns) and len(before) >= 1 and \
                before[-1].lower_ in ("its", "their", "the")
            sited = len(before) == 2 and before[0].lower_ in self.site_nouns and before[1].lower_ in ("in", "at", "near")
            if based or site or sited:
                names.add(_fold(_no_article(span.text)))
        return names

    # -- cleaning -----------------------------------------------------------------------------
    def _trim(self, span: Span) -> Span | None:
        doc = span.doc
        start, end = span.start, span.end
        while start < end and (doc[start].lower_ in _LEADING_DROP or doc[start].is_punct or
                               doc[start].text.casefold() in self.never and end - start > 1):
            start += 1  # "Boston VCs Bain Capital": describing words before a name are not part of it
        while end > start and (doc[end - 1].text in ("'s", "’s", "'") or doc[end - 1].is_punct and
                               doc[end - 1].text not in (".",)):
            end -= 1
        if end > start and doc[end - 1].text == "." and end - 1 > start and \
                doc[end - 2].text.casefold() + "." not in LEGAL_SUFFIXES:
            end -= 1
        if start >= end:
            return None
        return Span(doc, start, end, label="ORG", kb_id=span.kb_id_ or span.ent_id_)

    def _acceptable(self, span: Span) -> bool:
        text = span.text
        folded = text.casefold()
        if folded in self.never:
            return False
        if not any(c.isupper() or c.isdigit() for c in text) and not _DOMAIN_NAME.fullmatch(text):
            return False  # lower-case words are not names, but domain-style names are ("io.net")
        if text not in self.known and (span[0].is_lower or _inside_compound(span)) and \
                not _DOMAIN_NAME.fullmatch(text):
            return False  # "gigawatt-scale AI", "a modular AI data center": words, though they spell a name
        if _fold(text) in self.known_folded:
            return True
        if all(t.text.casefold() in self.never or t.is_punct or t.is_digit for t in span):
            return False
        if all(t.text.casefold() in self.suffixes or t.lower_ in LEGAL_SUFFIXES for t in span):
            return False  # "Networks", "Inc.": the end of a name is not a name
        doc = span.doc
        if span.start > 0 and doc[span.start - 1].lower_ in ("the", "a", "an") and span.end < len(doc) and \
                doc[span.end].lower_ in self.descriptors:
            return False  # "the Eindhoven company", "a Bristol startup": a place describing a company
        if len(span) == 1 and _opens_sentence(span[0]) and span[0].lower_ in _lower_words(doc):
            return False  # "Compute is now ...", "Utilities have ...": a capital that only opens a sentence
        if span[0].text.casefold() in self.project_heads and len(span) > 1:
            return False  # "Project Matador": a project, not who builds it
        if len(text) < 2 or re.fullmatch(r"[\d\W]+", text):
            return False
        if any(t.like_num and t.i == span.start for t in span) and len(span) == 1:
            return False
        # Headlines and fragments: no company name runs to many words or starts lower-case.
        return len(span) <= 7 and (not span[0].is_lower or bool(_DOMAIN_NAME.fullmatch(text)))

    # -- canonical names ----------------------------------------------------------------------
    def _resolve(self, doc: Doc, spans: list[Span]) -> list[Span]:
        """Give each span two names: `id_`, who the company is (the known canonical name, or the fullest
        form in the doc), and `kb_id_`, how this article writes it at its fullest (what deals show)."""
        fullest: dict[tuple[str, ...], str] = {}
        for span in sorted(spans, key=lambda s: -len(_key(s.text))):
            fullest.setdefault(_key(span.text), span.text)
        identities = []
        for span in spans:
            identity = self.known.get(span.text) or span.kb_id_ or self.known_folded.get(_fold(span.text))
            if not identity:
                key = _key(span.text)
                longer = [k for k in fullest if len(k) > len(key) and k[: len(key)] == key]
                full = fullest[max(longer, key=len)] if longer else span.text
                identity = self.known.get(full) or self.known_folded.get(_fold(full)) or _strip_legal(full)
                identity = self.known_folded.get(_fold(identity), identity)
            identities.append(identity)
        display: dict[str, str] = {}
        for span, identity in zip(spans, identities):
            if len(span.text) > len(display.get(identity, "")):
                display[identity] = span.text
        return [Span(doc, span.start, span.end, label="ORG", kb_id=display[identity], span_id=identity)
                for span, identity in zip(spans, identities)]


def _opens_sentence(tok: Token) -> bool:
    return tok.is_sent_start or tok.i > 0 and tok.nbor(-1).is_quote and \
        (tok.i == 1 or tok.nbor(-1).is_sent_start or tok.nbor(-2).is_space)


def _lower_words(doc: Doc) -> set[str]:
    """The words this article writes in lower case."""
    return {t.text for t in doc if t.is_lower}


def _could_be_name(head: Span) -> bool:
    """"Alongside the equity, ...", "Separately, ...": an adverbial opener is not a name."""
    return head[0].pos_ not in ("ADP", "ADV", "SCONJ", "CCONJ", "VERB", "DET", "PRON") and \
        not any(t.is_stop and t.is_lower for t in head)


def _inside_compound(span: Span) -> bool:
    """The span starts within a hyphenated word ("gigawatt-scale AI")."""
    doc, i = span.doc, span.start
    return i >= 2 and doc[i - 1].text in ("-", "–") and not doc[i - 1].whitespace_ and not doc[i - 2].whitespace_


def _opens_item(span: Span) -> bool:
    """The name starts a list item or a paragraph ("- Eridu: Secured $200 million", "Standard Kernel: ...")."""
    if span.start == 0:
        return True
    before = span.doc[span.start - 1]
    if before.text in ("-", "•", "*", "–") or (before.is_space and "\n" in before.text):
        return True
    return before.lower_ == "and" and span.start >= 2 and span.doc[span.start - 2].pos_ == "PROPN"


def _item_label_list(doc: Doc, i: int) -> bool:
    """"General Tensor and Bittensor: ..." -- a name followed by 'and' another name and a colon."""
    if i >= len(doc) or doc[i].lower_ not in ("and", "&", "/"):
        return False
    j = i + 1
    while j < len(doc) and doc[j].pos_ == "PROPN":
        j += 1
    return j > i + 1 and j < len(doc) and doc[j].text == ":"


def _after_dateline(span: Span, datelines: list[tuple[int, int]]) -> Span:
    """The part of a span after any dateline it overlaps ("STOCKHOLM - Brookfield" -> "Brookfield");
    empty when the span lies within one."""
    start = span.start
    while start < span.end and any(begin <= span.doc[start].idx < end for begin, end in datelines):
        start += 1
    return span if start == span.start else Span(span.doc, start, span.end, label=span.label, kb_id=span.kb_id)


def _name_runs(doc: Doc):
    """Maximal runs of proper nouns ("Standard Kernel", "Nexthop AI"), joined by & or -."""
    i, n = 0, len(doc)
    while i < n:
        if doc[i].pos_ in _NAME_POS and doc[i].is_alpha or (doc[i].pos_ in _NAME_POS and doc[i].text[:1].isupper()):
            j = i + 1
            while j < n and (doc[j].pos_ in _NAME_POS and doc[j].text[:1].isupper()
                             or doc[j].text in ("&", "-") and j + 1 < n and doc[j + 1].pos_ in _NAME_POS):
                j += 1
            yield i, j
            i = j
        else:
            i += 1


def _wholly_entity(span: Span, labels: tuple[str, ...]) -> bool:
    return any(e.label_ in labels and e.start <= span.start and span.end <= e.end for e in span.doc.ents)


def _after_lead_cue(doc: Doc, found: list[Span]) -> list[Span]:
    """"a Series A led by Plural": whoever leads or backs a round is a company, even an ordinary word."""
    taken = {t.i for span in found for t in span}
    extra = []
    for start, end in _title_runs(doc):
        if start < 2 or taken.intersection(range(start, end)):
            continue
        if doc[start - 1].lower_ == "by" and doc[start - 2].lower_ in ("led", "co-led", "backed", "headed"):
            if not _wholly_entity(doc[start:end], ("PERSON", "DATE", "MONEY")):
                extra.append(doc[start:end])
    return extra


_LIST_JOINS = {(",",), ("and",), (",", "and"), ("&",), (",", "&")}
_ALNUM_NAME = re.compile(r"(?=[\w-]*[A-Z])[A-Z0-9][\w-]*")


def _listed(doc: Doc, found: list[Span], suffixes: set[str]) -> list[Span]:
    """Every name of a list "A, B and C" in which one is a company ("Maverick Silicon, Nexus Venture Partners
    and 8VC also invested"), however the parser attached them."""
    covered = lambda a, b: any(s.start <= a and b <= s.end for s in found)  # noqa: E731
    runs = list(_title_runs(doc, alnum=True))
    extra, chain = [], []
    for run in runs + [None]:
        if run is not None and chain and tuple(t.lower_ for t in doc[chain[-1][1]:run[0]]) in _LIST_JOINS \
                and doc[chain[-1][1]:run[0]].text.strip():
            chain.append(run)
            continue
        joins = [doc[a[1]:b[0]] for a, b in zip(chain, chain[1:])]
        if len(chain) >= 2 and any(j[-1].lower_ in ("and", "&") for j in joins) and \
                any(covered(a, b) for a, b in chain):
            for a, b in chain:
                span = doc[a:b]
                companylike = any(c.isdigit() for c in span.text) or span[-1].text.casefold() in suffixes
                if not covered(a, b) and not _wholly_entity(span, ("GPE", "DATE", "LOC", "NORP")) \
                        and (companylike or not _wholly_entity(span, ("PERSON",))):
                    extra.append(span)
        chain = [run] if run is not None else []
    return extra


def _title_runs(doc: Doc, alnum: bool = False):
    """Maximal runs of capitalised words, whatever the tagger called them ("Positive Sum", "Corvane"); with
    alnum, names with digits too ("8VC", "Prosperity7")."""
    i, n = 0, len(doc)
    ok = (lambda t: _capitalised(t) or bool(_ALNUM_NAME.fullmatch(t.text)) and not t.like_num) if alnum else _capitalised
    while i < n:
        if ok(doc[i]):
            j = i + 1
            while j < n and ok(doc[j]):
                j += 1
            yield i, j
            i = j
        else:
            i += 1


def _capitalised(tok: Token) -> bool:
    return tok.text[:1].isupper() and (tok.is_alpha or "-" in tok.text or "." in tok.text) and not \
        (tok.is_sent_start and tok.is_stop)


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans that overlap a longer one; keep document order."""
    chosen: list[Span] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if not taken.intersection(range(span.start, span.end)):
            chosen.append(span)
            taken.update(range(span.start, span.end))
    return sorted(chosen, key=lambda s: s.start)


def _no_article(text: str) -> str:
    return text[4:] if text[:4].casefold() == "the " else text


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def _key(text: str) -> tuple[str, ...]:
    tokens = [t for t in re.split(r"[^a-z0-9]+", text.casefold()) if t]
    while tokens and tokens[-1] in {s.rstrip(".") for s in LEGAL_SUFFIXES}:
        tokens.pop()
    return tuple(tokens)


def _strip_legal(text: str) -> str:
    words = text.split()
    while len(words) > 1 and words[-1].casefold().rstrip(",") in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words).rstrip(",")
