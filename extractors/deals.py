"""Deals from an annotated Doc: the one place spans become `Deal` records.

Per sentence: cue words decide the deal type, the dependency parse and cue positions decide who is
the principal company and who takes part in which role, and the money spans give amount and
valuation. An article-level pass merges what later sentences add ("X led the round").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.amounts import doc_text
from extractors.money import MoneyMatch
from extractors.records import Deal, Participant, deal_from_dict, deal_to_dict

from extractors.versions import DEALS as VERSION  # noqa: F401  (this component's own version)

_KEY = "dealwire.deals"


def _get_deals(doc: Doc) -> list[Deal] | None:
    stored = doc.user_data.get(_KEY)
    return None if stored is None else [deal_from_dict(d) for d in stored]


def _set_deals(doc: Doc, found: list[Deal]) -> None:
    doc.user_data[_KEY] = [deal_to_dict(d) for d in found]  # plain values: Doc.to_bytes() keeps them


if not Doc.has_extension("deals"):
    Doc.set_extension("deals", getter=_get_deals, setter=_set_deals)

_ROUND = re.compile(r"\b(pre-seed|seed|series [a-h])\b(?:\+)?", re.IGNORECASE)
# Deal types in the order they win when a sentence carries cues for several.
_PRIORITY = ("acquisition", "ipo", "grant", "debt_financing", "funding_round", "supply_agreement",
             "partnership", "capex_commitment")
_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj"}
_HEDGE = (r"(?:about|around|roughly|nearly|almost|some|approximately|more than|over|just over|just under|less than|"
          r"close to|above|below|upwards of|in excess of)?\s*")
# "values the company at $19 billion", "a valuation of", "valuing it at"; "a $19 billion valuation".
_VALUATION_BEFORE = re.compile(r"\bvalu(?:e|es|ed|ing|ation)\b[^.;$€£¥]{0,60}\b(?:at|of)\s+" + _HEDGE + r"$"
                               r"|\bpriced (?:the company|it) at\s+" + _HEDGE + r"$"
                               r"|\b(?:is|was|were|be|are) worth\s+" + _HEDGE + r"$"
                               r"|\bvaluation\s+" + _HEDGE + r"$")
_NOT_AMOUNT_AFTER = re.compile(r"\W*(?:\w+\W+){0,4}?(?:economic output|gdp|of revenue|in revenue|in sales|of sales|"
                               r"in market value|to the economy)\b", re.IGNORECASE)
_PER_SHARE = re.compile(r"\W*(?:a|per|for each|each)\s+(?:share|unit)\b|\W*each\b", re.IGNORECASE)
_DEAL_VALUE = re.compile(r"\b(?:deal|transaction|acquisition|purchase|offer|takeover|merger|price|agreement)\b"
                         r"[^.;$€£¥]{0,40}$", re.IGNORECASE)
_VALUATION_AFTER = re.compile(r"\W{0,3}(?:pre-money |post-money )?valuation")


@dataclass
class Cues:
    """Phrases (lower-case, matched on word boundaries) that signal types, roles and statuses."""
    triggers: dict[str, list[re.Pattern]] = field(default_factory=dict)
    rumor: re.Pattern | None = None
    history: re.Pattern | None = None
    not_amount: re.Pattern | None = None
    lead: re.Pattern | None = None
    participation: re.Pattern | None = None
    public_body: re.Pattern | None = None
    lender: re.Pattern | None = None
    late_party: re.Pattern | None = None
    referents: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()

    @classmethod
    def from_lexicon(cls, lexicon: dict) -> "Cues":
        triggers = {t: [_phrase(w) for w in spec.get("words", [])]
                    for t, spec in lexicon.get("deal_triggers", {}).items()}
        roles = lexicon.get("investor_role_cues", {})
        return cls(
            triggers=triggers,
            rumor=_alternation(lexicon.get("rumor_cues", {}).get("words", [])),
            history=_alternation(lexicon.get("history_cues", {}).get("words", [])),
            not_amount=_alternation(lexicon.get("not_deal_amount_cues", {}).get("words", [])),
            lead=_alternation(roles.get("lead", [])),
            participation=_alternation(roles.get("participation", [])),
            public_body=_alternation(lexicon.get("public_bodies", {}).get("words", [])),
            lender=_alternation(lexicon.get("lenders", {}).get("words", [])),
            late_party=_alternation(lexicon.get("late_party_cues", {}).get("words", [])),
            referents=frozenset(w.lower() for w in lexicon.get("referent_nouns", {}).get("words", [])),
            intents=frozenset(w.lower() for w in lexicon.get("intent_verbs", {}).get("words", [])),
        )

    def is_lender(self, span: Span) -> bool:
        """A bank: in a loan it lends, it does not borrow."""
        return self.lender is not None and bool(self.lender.search(span.text))

    def is_public_body(self, span: Span) -> bool:
        """A government, ministry, agency or development bank: who gives a grant or a public loan."""
        return self.public_body is not None and bool(self.public_body.search(span.text))


def _phrase(words: str) -> re.Pattern:
    # "invest ... in": the dots allow a few words between the parts; "acquir*": any ending.
    parts = [re.escape(p.strip()).replace(r"\*", r"[\w-]*") for p in words.split("...")]
    # A hyphen and a letter continue the word ("raise-d" is not "raise"); "Series C-1" is still Series C.
    return re.compile(r"(?<![\w-])" + r"(?:\W+[\w$.,-]+){0,8}?\W+".join(parts) + r"(?!\w|-[a-z])", re.IGNORECASE)


def _alternation(words: list[str]) -> re.Pattern | None:
    if not words:
        return None
    alts = sorted({re.escape(w).replace(r"\*", r"[\w-]*") for w in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


@Language.factory("dealwire_deals")
def make_deal_finder(nlp: Language, name: str) -> "DealFinder":
    return DealFinder()


class DealFinder:
    def __init__(self):
        self.cues = Cues()

    def use(self, lexicon: dict) -> "DealFinder":
        self.cues = Cues.from_lexicon(lexicon)
        return self

    def __call__(self, doc: Doc) -> Doc:
        doc._.deals = deals_from_doc(doc, self.cues)
        return doc


def deals_from_doc(doc: Doc, cues: Cues) -> list[Deal]:
    deals: list[Deal] = []
    context = _Context()
    focus: _Named | None = None  # the story's company: the first deal's, or until then the last subject company
    for sent in units(doc):
        if deals and deals[-1].deal_type in ("capex_commitment", "partnership") and _NAMES_PARTNERS.search(sent.text) \
                and not _has_money(sent):
            deals[-1] = _add_partners(deals[-1], sent)  # "Arm, Microsoft and Nvidia are the technology partners"
            continue
        found = _sentence_deals(sent, cues, deals[-1] if deals else None, context, _learned_types(sent), focus)
        if not deals:
            focus = _story_company(found) or _subject_company(sent, cues) or focus
        if found:
            for deal in found:
                deals = _merge(deals, context.lend_parties(deal))
        elif deals:
            deals[-1] = _add_late_valuation(_add_late_amount(_add_late_participants(deals[-1], sent, cues), sent),
                                            sent, cues)
    return [_without_self(d) for d in deals]


def _without_self(deal: Deal) -> Deal:
    """No company takes part in its own deal, and none twice: a short form ("Stratum" for "Stratum Fabric",
    "AWS" beside "Amazon Web Services") is the same party."""
    seen = {_name_key(deal.company), _name_key(deal.company_canonical or "")}
    kept = []
    for p in deal.participants:
        keys = {_name_key(p.name), _name_key(p.canonical or "")} - {()}
        if any(_prefix(k, s) for k in keys for s in seen if s):
            continue
        seen |= keys
        kept.append(p)
    return deal if len(kept) == len(deal.participants) else replace(deal, participants=tuple(kept))


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"[^a-z0-9]+", name.casefold()) if t and t not in _LEGAL)


def _prefix(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and long_[: len(short)] == short


_LEGAL = {"inc", "corp", "corporation", "co", "ltd", "llc", "plc", "ag", "sa", "nv", "se", "the"}


_NAMES_PARTNERS = re.compile(r"\b(?:are|were|will be|is)\s+(?:the|its|their)?\s*(?:[\w-]+\s+){0,3}partners\b",
                             re.IGNORECASE)


def _add_partners(deal: Deal, sent: Span) -> Deal:
    names = [c for c in sent.doc.spans["companies"] if sent.start <= c.start and c.end <= sent.end
             and c.kb_id_ != deal.company and not _modifier(c)]
    known = {p.name for p in deal.participants}
    extra = tuple(Participant(c.text, "partner", c.id_) for c in names if c.text not in known)
    return replace(deal, participants=deal.participants + tuple(dict.fromkeys(extra)))


_GIVERS = {"grant": "grantor", "debt_financing": "lender"}
_CARRIED_TYPES = ("grant", "debt_financing", "funding_round")


@dataclass
class _Context:
    """What the article has established so far: the deal type in play and who gives the money.

    "METI said it would subsidize five companies ... Sakura Internet will receive up to ¥50.1 billion":
    the second sentence is a grant from METI though it names neither."""
    deal_type: str | None = None
    givers: dict[str, tuple[Participant, ...]] = field(default_factory=dict)

    def note(self, deal_type: str, roles: list[tuple[Span, str]]) -> None:
        self.deal_type = deal_type
        giver = _GIVERS.get(deal_type)
        named = tuple(Participant(s.text, r, s.id_) for s, r in roles if r == giver)
        if named:
            self.givers[deal_type] = named

    def lend_parties(self, deal: Deal) -> Deal:
        giver = _GIVERS.get(deal.deal_type)
        if giver is None or any(p.role == giver for p in deal.participants):
            return deal
        return replace(deal, participants=deal.participants + self.givers.get(deal.deal_type, ()))


# -- sentences --------------------------------------------------------------------------------
def units(doc: Doc):
    """Sentences, further cut at paragraph breaks so bullet items stand alone."""
    for sent in doc.sents:
        start = sent.start
        for tok in sent:
            if tok.is_space and "\n" in tok.text and tok.i > start:
                yield doc[start:tok.i]
                start = tok.i + 1
        if start < sent.end:
            yield doc[start:sent.end]


_RECEIPT = re.compile(r"\b(?:receiv\w+|get|gets|got|won|wins|will win|(?:was|were|been|be) (?:granted|awarded|given))\b",
                      re.IGNORECASE)


def _learned_types(sent: Span) -> tuple[str, ...]:
    """Deal types the sentence classifier (extractors/sentence_types.py) gave this sentence, if it ran."""
    if "deal_sentences" not in sent.doc.spans:
        return ()
    return tuple(dict.fromkeys(s.label_ for s in sent.doc.spans["deal_sentences"]
                               if s.start < sent.end and sent.start < s.end))


def _sentence_deals(sent: Span, cues: Cues, previous: Deal | None = None, context: _Context | None = None,
                    learned: tuple[str, ...] = (), focus: "_Named | None" = None) -> list[Deal]:
    text = sent.text
    companies = _sentence_companies(sent)
    # "The Denver-based startup has signed ...": the sentence is about the company the story is about.
    referred = focus if focus is not None and _refers_to_focus(sent, companies, cues) else None
    if not companies and referred is None:
        return []
    matched = {t: [m for p in cues.triggers.get(t, []) for m in p.finditer(text)] for t in _PRIORITY}
    held = {t: [m for m in found if _cue_holds(t, m, sent, companies) and not _in_history(text, m, cues)]
            for t, found in matched.items()}
    types = [t for t in _PRIORITY if held[t]]
    if not types and context is not None and context.deal_type in _CARRIED_TYPES and _RECEIPT.search(text):
        types = [context.deal_type]  # "Sakura Internet will receive up to ¥50.1 billion"
    if not types and not any(matched.values()):
        types = [t for t in _PRIORITY if t in learned]  # no cue at all, but the trained classifier reads a deal
    if not types:
        return []
    amounts, valuation = _amounts(sent, cues)
    if (_PAST_MONTH.match(text) or _past_year(sent)) \
            and not _present_tense_deal(sent):
        return []
    deal_type = _choose_type(types, sent, amounts)
    if deal_type is None:
        return []
    if deal_type == "partnership" and amounts and _NEW_ENTITY_SPENDS.search(text):
        deal_type = "capex_commitment"  # a venture formed to invest or build is a spending commitment
    if deal_type == "acquisition":
        amounts, valuation = _amounts(sent, cues, deal_type)
    roles = _participants(sent, companies, deal_type, cues)
    if context is not None:
        context.note(deal_type, roles)
    principal = _principal(sent, companies, roles, deal_type)
    if referred is not None and deal_type != "acquisition":
        principal = referred
    elif referred is not None and principal is not None:
        roles = roles + [(referred, "acquirer")]  # "The Dutch chipmaker agreed to acquire X"
    no_subject = principal is None or referred is None and _list_head(principal).dep_ not in _SUBJECT_DEPS
    if no_subject and previous and deal_type in ("grant", "funding_round", "debt_financing") \
            and _REFERS_BACK.match(text):
        # "The bulk of the money ... is public funding from X"
        principal = _Named(previous.company, previous.company_canonical or previous.company)
    if principal is None:
        return []
    if deal_type == "capex_commitment" and isinstance(principal, Span) and cues.is_public_body(principal):
        return []  # a government's programme or fund is no company's spending commitment
    roles = [(s, r) for s, r in roles if s.id_ != principal.id_]
    if deal_type == "funding_round" and not isinstance(principal, _Named):
        roles += _backers_before(sent, companies, roles, principal)
    if deal_type == "capex_commitment" and isinstance(principal, Span) and \
            _NEW_ENTITY.search(doc_text(sent.doc)[max(sent.start_char, principal.start_char - 40):principal.start_char]):
        roles = [(c, "partner") for c in companies if c.id_ != principal.id_]
    if deal_type == "capex_commitment" and isinstance(principal, Span) and _list_head(principal).dep_ in _SUBJECT_DEPS:
        joint = [c for c in companies if c.id_ != principal.id_ and c.root.dep_ == "conj"
                 and _list_head(c).i == _list_head(principal).i]
        if joint:  # "A and B will invest $10 billion": a joint amount is a partnership (SCHEMA.md)
            deal_type = "partnership"
            roles = [(c, "partner") for c in joint]
    if deal_type in ("supply_agreement", "partnership") and not roles:
        others = [c for c in companies if c.id_ != principal.id_]
        role = "customer" if deal_type == "supply_agreement" else "partner"
        roles = [(c, role) for c in others]
        if not roles:
            return []
    if deal_type in ("funding_round", "debt_financing", "acquisition", "grant") and not amounts and not roles \
            and not _ROUND.search(text):
        return []
    if deal_type == "funding_round" and _HYPOTHETICAL.search(text):
        return []  # "would each need to raise large sums" is no raise
    if deal_type == "funding_round" and not amounts and not _ROUND.search(text) and not _INVESTS.search(text):
        return []  # "MGX, an investment firm backed by Mubadala" describes; it announces nothing
    if deal_type not in _VALUED and valuation is not None:
        # "an AWS lease valued at $5.5 billion", "a deal that values X at $4 billion": the deal's own worth
        amounts, valuation = amounts or [valuation], None
    status = "rumored" if cues.rumor is not None and cues.rumor.search(text) else "announced"
    participants = _unique_participants(roles)
    base = Deal(deal_type=deal_type, company=principal.kb_id_, company_canonical=principal.id_, evidence=text, evidence_start=sent.start_char,
                evidence_end=sent.end_char, valuation=valuation.value if valuation else None, status=status,
                participants=participants)
    if deal_type == "partnership" and len(roles) > 1 and _PLURAL_DEALS.search(text):
        # "formed partnerships with A and B": one partnership each
        return [replace(base, participants=(Participant(principal.kb_id_, "partner", principal.id_),),
                        company=s.kb_id_, company_canonical=s.id_)
                for s, _ in roles]
    extra = _supply_alongside(base, sent) if deal_type == "funding_round" else []
    if deal_type == "capex_commitment" and not amounts:
        return _relative_builders(base, sent, companies)
    pairs = _company_amounts(sent, companies, roles, amounts, deal_type)
    if len(pairs) < 2:
        amount = _nearest(amounts, held.get(deal_type) or [], sent.start_char)
        pairs = [(c, amount) for c in [principal, *_listed_with(principal, companies, roles, deal_type)]]
    return [replace(base, company=company.kb_id_, company_canonical=company.id_, amount=amount.value if amount else None,
                    currency=amount.currency if amount else None, amount_text=amount.text if amount else None,
                    round=_round_after(sent, amount))
            for company, amount in pairs] + extra


_CLAUSE_BREAK = re.compile(r"[,;:()]|\s[-–—]\s")


def _in_history(text: str, cue: re.Match, cues: Cues) -> bool:
    """A deal cue in a clause that looks back ("which raised $50 million last year"), or in a sentence
    that opens on the past ("Previously, ..."); the news in another clause of it stands."""
    if cues.history is None:
        return False
    breaks = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    start = max(b for b in breaks if b <= cue.start())
    end = min(b for b in breaks if b > cue.start())
    return bool(cues.history.search(text, start, end) or cues.history.search(text, 0, breaks[1]))


def _nearest(amounts: list[MoneyMatch], cues: list[re.Match], offset: int) -> MoneyMatch | None:
    """The amount written nearest the words that name the deal ("will build a €5 billion plant after the
    Commission cleared €2 billion of aid": the aid is the grant); the first one without such words."""
    if len(amounts) < 2 or not cues:
        return amounts[0] if amounts else None
    spots = [(offset + m.start(), offset + m.end()) for m in cues]
    return min(amounts, key=lambda a: (min(max(b - a.end, a.start - e, 0) for b, e in spots), a.start))


def _listed_with(principal, companies: list[Span], roles, deal_type: str) -> list[Span]:
    """Companies coordinated with the principal ("invest $2 billion apiece in A and B"): a deal each."""
    if deal_type not in ("funding_round", "grant", "ipo") or not isinstance(principal, Span):
        return []
    head = _list_head(principal)
    if head.dep_ == "pobj" and head.head.lower_ in ("from", "by", "with", "including"):
        return []  # "raised $21 million from A and B": the backers, not two raises
    taken = {s.id_ for s, _ in roles} | {principal.id_}
    inside = set(range(principal.start, principal.end))
    out = []
    for c in companies:
        root = c.root
        if c.id_ in taken or root.dep_ != "conj":
            continue
        head = root.head
        while head.dep_ == "conj" and head.i not in inside:
            head = head.head
        if head.i in inside:
            out.append(c)
            taken.add(c.id_)
    return out


def _relative_builders(deal: Deal, sent: Span, companies: list[Span]) -> list[Deal]:
    """One capex commitment for each company in the list the relative clause describes."""
    match = _RELATIVE_BUILDERS.search(sent.text)
    if match is None:
        return []
    start = sent.start_char + match.start()
    listed = [c for c in companies if c.end_char <= start]
    if not listed:
        return []
    chain = [listed[-1]]
    for c in reversed(listed[:-1]):  # walk back over "A, B and C"
        if re.fullmatch(r"\s*(?:,|and|, and|&)\s*", doc_text(sent.doc)[c.end_char:chain[-1].start_char]):
            chain.append(c)
        else:
            break
    return [replace(deal, company=c.kb_id_, company_canonical=c.id_, participants=()) for c in reversed(chain)]


_SUPPLY_CONTRACT = re.compile(r"\bsupply (?:contract|deal|agreement|pact)s?\b", re.IGNORECASE)


def _supply_alongside(deal: Deal, sent: Span) -> list[Deal]:
    """"X invested in Y, with a chip supply contract": the investor also supplies the company it backs."""
    investors = [p for p in deal.participants if p.role in ("investor", "lead_investor")]
    if len(investors) != 1 or not _SUPPLY_CONTRACT.search(sent.text):
        return []
    return [replace(deal, deal_type="supply_agreement", company=investors[0].name,
                    company_canonical=investors[0].canonical, amount=None, currency=None,
                    amount_text=None, round=None, valuation=None,
                    participants=(Participant(deal.company, "customer", deal.company_canonical),))]


def _backers_before(sent: Span, companies: list[Span], roles, principal: Span) -> list[tuple[Span, str]]:
    """The subject of "X led / invested in a round in Y" or "X agreed to buy Y shares" is Y's investor."""
    if not (_INVESTED_IN.search(doc_text(sent.doc)[max(sent.start_char, principal.start_char - 40):principal.start_char])
            or re.match(r"(?:'s|’s)?\s+(?:shares|stock)\b", doc_text(sent.doc)[principal.end_char:principal.end_char + 10])):
        return []
    taken = {(s.start, s.end) for s, _ in roles}
    role = "lead_investor" if re.search(r"\b(?:led|co-led|leads|leading)\b", sent.text) else "investor"
    return [(c, role) for c in companies if c.end_char <= principal.start_char and (c.start, c.end) not in taken
            and _list_head(c).dep_ in _SUBJECT_DEPS and c.id_ != principal.id_]


def _unique_participants(roles: list[tuple[Span, str]]) -> tuple[Participant, ...]:
    """One participant per company, with the strongest role it is given (lead over plain investor)."""
    chosen: dict[str, tuple[Span, str]] = {}
    for span, role in roles:
        if span.id_ not in chosen or role == "lead_investor":
            chosen[span.id_] = (span, role)
    # As the evidence sentence writes them, so each name can be found in it.
    return tuple(Participant(span.text, role, span.id_) for span, role in chosen.values())


def _company_amounts(sent: Span, companies: list[Span], roles, amounts: list[MoneyMatch], deal_type: str):
    """Several companies raising (or receiving) in one sentence: each amount goes to the company named
    last before it ("Eridu closed a $20 million seed round, and Standard Kernel ... a $4.5 million ...")."""
    if deal_type not in ("funding_round", "grant", "debt_financing", "capex_commitment") or len(amounts) < 2:
        return []
    taken = {(s.start, s.end) for s, _ in roles}
    free = [c for c in companies if (c.start, c.end) not in taken
            and not (c.root.dep_ == "compound" and c.root.head.pos_ == "NOUN")]
    pairs: dict[str, tuple[Span, MoneyMatch]] = {}
    for amount in amounts:
        before = [c for c in free if c.end_char <= amount.start]
        if before and before[-1].id_ not in pairs:
            pairs[before[-1].id_] = (before[-1], amount)
    return list(pairs.values()) if len(pairs) >= 2 else []


def _round_after(sent: Span, amount: MoneyMatch | None) -> str | None:
    """The round named nearest after the amount (or anywhere in the sentence when there is no amount)."""
    found = list(_ROUND.finditer(sent.text))
    if not found:
        return None
    if amount is not None:
        rel = amount.start - sent.start_char
        later = [m for m in found if m.start() >= rel - 15]
        found = sorted(later, key=lambda m: m.start()) or found
    return _round_name(found[0].group(1))


# Cues that name a deal only when a company is their object: "to buy Infinera", not "to buy chips";
# "invested in Thinking Machines", not "invested in data centers".
_NEEDS_OBJECT = {
    "acquisition": re.compile(r"^(?:to buy|will buy|agree[sd]? to (?:buy|purchase)|buys|bought|deal to buy|"
                              r"purchase of|snap|majority|controlling|absorb)", re.IGNORECASE),
    "funding_round": re.compile(r"^(?:invest|stake|backing|backs|is supporting)", re.IGNORECASE),
}


_RELATIVE_BEFORE = re.compile(r"\b(?:which|that|who)\s+(?:also\s+|already\s+)?$", re.IGNORECASE)
_NOT_A_RAISE = re.compile(r"\s+(?:\w+\s+){0,2}?(?:forecasts?|guidance|outlook|estimates?|targets?|prices?|questions|"
                          r"concerns|doubts|fears|hopes|stakes?|profile|bar|awareness|expectations)\b", re.IGNORECASE)
_LED_BY_PERSON = re.compile(r"\s+(?:(?:its|the|former|founder|co-founder|chief|executive|president|chairman|ceo|"
                            r"chief executive|managing director)\b\s*)+", re.IGNORECASE)


def _cue_holds(deal_type: str, match: re.Match, sent: Span, companies: list[Span]) -> bool:
    start, end = sent.start_char + match.start(), sent.start_char + match.end()
    words = match.group(0).split()
    edges = ((start, start + len(words[0])), (end - len(words[-1]), end))
    if any(c.start_char < e and b < c.end_char for c in companies for b, e in edges):
        return False  # "Mercato Partners" is a name, not a partnership
    if _NOT_A_RAISE.match(doc_text(sent.doc)[end:end + 40]) and match.group(0).lower().startswith("rais"):
        return False  # "raised its forecast", "raising questions": no money comes in
    if _LED_BY_PERSON.match(doc_text(sent.doc)[end:end + 40]) and match.group(0).lower().endswith(" by"):
        return False  # "DigitalBridge, led by chief executive Marc Ganzi": a person runs it
    if deal_type in ("supply_agreement", "partnership") and _RELATIVE_BEFORE.search(doc_text(sent.doc)[max(0, start - 12):start]):
        return False  # "SK hynix, which supplies most of the memory in ...": describes a business, announces nothing
    needs = _NEEDS_OBJECT.get(deal_type)
    if needs is None or not needs.match(match.group(0)):
        return True
    if re.match(r"\s+(?:its|their)\b", doc_text(sent.doc)[end:end + 8]):
        return True  # "invest up to $5 billion in its HPC business": the company just named
    if deal_type == "funding_round" and match.group(0).lower().endswith(" in"):
        # "invest $3.87 billion in the facility near Purdue University" is no stake in Purdue
        return any(c.start_char >= end and re.fullmatch(r"\s*(?:the\s+)?", doc_text(sent.doc)[end:c.start_char])
                   for c in companies)
    for c in companies:
        gap = doc_text(sent.doc)[end:c.start_char]
        if deal_type == "acquisition" and len(re.findall(r"[A-Za-z]+", gap)) > 3 and not re.search(r"\bof\s+$", gap):
            continue  # "to buy the publishing rights to X" buys rights, not X
        if not end <= c.start_char <= end + 45 or c.root.dep_ == "compound" and not _SHARES_OF.search(gap + c.text + " shares"):
            continue  # "to buy additional Groq systems": a name modifying a noun is not what is bought
        if "$" not in gap or re.search(r"\bof\s+$", gap):
            return True  # "to buy Infinera", "to buy about $335 million of Cerebras shares"
    return False


_SHARES_OF = re.compile(r"\bof\s+[\w .&-]+?\s+(?:shares|stock)\b")

# "In January, OpenAI unveiled ...": a sentence that opens on a month looks back.
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_PAST_MONTH = re.compile(r"\W*(?:back )?in (?:early |late |mid-)?" + _MONTH + r"\b"
                         r"|.*\b(?:arranged|raised|signed|agreed|announced|closed|completed|secured|disclosed|unveiled)"
                         r"(?: \w+){0,4} in (?:early |late |mid-)?" + _MONTH + r"\b", re.IGNORECASE)
_NEWS_DAY = re.compile(r"\b(?:today|this week|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
                       r"said (?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b", re.IGNORECASE)


# A sentence that continues the story of the company just named ("It", "The company", "The money").
_REFERS_BACK = re.compile(r"^\W*(?:it|its|the company|the startup|the money|the bulk|the round|that round|"
                          r"the financing|the funding|the rest|the remainder|most of)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Named:
    """A principal carried over from an earlier sentence: only its name is known."""
    kb_id_: str
    id_: str
    start: int = -1
    end: int = -1

    @property
    def text(self) -> str:
        return self.kb_id_


_SAYS = {"say", "tell", "add", "announce", "report", "confirm", "disclose"}


def _sentence_companies(sent: Span) -> list[Span]:
    """The companies a sentence names as possible parties: not those named for comparison or as modifiers."""
    return [c for c in sent.doc.spans["companies"] if c.start >= sent.start and c.end <= sent.end
            and not _COMPARED.search(doc_text(sent.doc)[max(sent.start_char, c.start_char - 30):c.start_char])
            and not _modifier(c)]


def _subjects(sent: Span) -> list:
    """The subjects of the sentence's main verb, and of what it reports ("X said it would ...")."""
    found = []
    for verb in [sent.root, *[c for c in sent.root.conjuncts if c.pos_ in ("VERB", "AUX")]]:
        subjects = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
        found += subjects
        if verb.lemma_.lower() in _SAYS and subjects:  # "Turing, which ..., said it": no subject is no anaphor
            found += [s for c in verb.children if c.dep_ == "ccomp" for s in c.children if s.dep_ in _SUBJECT_DEPS]
    return found


def _habitual(verb, cues: Cues) -> bool:
    """A verb in the simple present ("supplies", "sees"), also when it is what a company "said", unless it
    states an intent ("plans to", "expects to")."""
    reported = [c for c in verb.children if c.dep_ == "ccomp"] if verb.lemma_.lower() in _SAYS else []
    verb = reported[0] if reported else verb
    return verb.tag_ in ("VBZ", "VBP") and verb.lemma_.lower() not in cues.intents \
        and not any(c.dep_ in ("aux", "auxpass") for c in verb.children)


def _story_company(found: list[Deal]) -> _Named | None:
    """Who the article's first deal is about: its company, or the buyer in a takeover."""
    if not found:
        return None
    deal = found[0]
    buyers = [p for p in deal.participants if p.role == "acquirer"] if deal.deal_type == "acquisition" else []
    if buyers:
        return _Named(buyers[0].name, buyers[0].canonical or buyers[0].name)
    return _Named(deal.company, deal.company_canonical or deal.company)


def _subject_company(sent: Span, cues: Cues) -> _Named | None:
    """The company a sentence is about: the first one that is the subject of its main verb, unless it
    only backs someone else's deal ("X also participated") or is a government."""
    for subject in _subjects(sent):
        if subject.head.lemma_.lower() in _PARTY_VERBS | _LEAD_VERBS:
            continue
        for company in _sentence_companies(sent):
            if (company.start <= subject.i < company.end or _list_head(company).i == subject.i) \
                    and not cues.is_public_body(company):
                return _Named(company.kb_id_, company.id_)
    return None


def _refers_to_focus(sent: Span, companies: list[Span], cues: Cues) -> bool:
    """The sentence's subject is "it" or "the (Denver-based) startup", and no company it names is a subject."""
    subjects = _subjects(sent)
    if not subjects or any(c.start <= s.i < c.end or _list_head(c).i == s.i for s in subjects for c in companies):
        return False
    first = subjects[0]
    if first.pos_ == "PROPN":
        return False  # a name, though not one known as a company: it is what the sentence is about
    if _habitual(sent.root, cues):
        return False  # "It supplies accelerators to ...": what the company does, not what it did
    if first.lower_ == "it":
        return True
    return first.lower_ in cues.referents and any(d.dep_ == "det" and d.lower_ == "the" for d in first.children)


_YEAR = re.compile(r"\b(?:in|since|back in) (?:(?:early|late|mid-) ?)?(?:" + _MONTH + r" )?(?:19|20)\d\d\b"
                   r"|\blast (?:year|" + _MONTH + r")\b", re.IGNORECASE)
_FUTURE = re.compile(r"\b(?:will|would|expects?|expected|plans?|planned|by (?:19|20)\d\d|through|until|aims?)\b",
                     re.IGNORECASE)


def _past_year(sent: Span) -> bool:
    """"was acquired by LivingSocial in 2009": a past-tense deal dated to a year is history."""
    return bool(_YEAR.search(sent.text)) and not _FUTURE.search(sent.text) and \
        any(t.tag_ in ("VBD", "VBN") for t in sent)


def _present_tense_deal(sent: Span) -> bool:
    """The news itself ("said Wednesday it had raised"), whatever history the sentence also recalls."""
    return bool(_NEWS_DAY.search(sent.text))


_MINORITY_SHARES = re.compile(r"\b(?:of (?:its |the company's |\w+ )?(?:shares|stock)|minority stake|stake of \d+%|"
                              r"\d+% stake)\b")


_PLANNED_IPO = re.compile(r"\b(?:expected|planned|potential|possible|eventual|future|upcoming|anticipated)\s+"
                          r"(?:\w+[\s-]+){0,2}(?:listing|ipo|debut|initial public offering|offering)")


# "X and Y, who are investing heavily in data centers": each named company is committing capital.
_RELATIVE_BUILDERS = re.compile(r",\s+(?:who|which)\s+(?:are|is|were|was|have been|has been)\s+(?:\w+\s+)?"
                                r"(?:investing|spending|building)\b[^.;]*\b(?:data cent(?:er|re)s?|campus|fabs?|factories)",
                                re.IGNORECASE)


def _choose_type(types: list[str], sent: Span, amounts: list[MoneyMatch]) -> str | None:
    lowered = sent.text.lower()
    for t in types:
        if t == "capex_commitment" and not amounts and not _RELATIVE_BUILDERS.search(sent.text):
            continue
        if t == "ipo" and ("private placement" in lowered or _PLANNED_IPO.search(lowered)):
            continue  # a listing that is expected or planned is not yet news of one
        if t == "acquisition" and _MINORITY_SHARES.search(lowered):
            return "funding_round"  # buying newly issued shares or a minority stake is an investment
        return t
    return None


def _round_name(text: str) -> str:
    text = text.lower()
    if text.startswith("series"):
        return "Series " + text.split()[-1].upper()
    return "Pre-Seed" if text == "pre-seed" else "Seed"


# -- money ------------------------------------------------------------------------------------
def _amounts(sent: Span, cues: Cues, deal_type: str | None = None) -> tuple[list[MoneyMatch], MoneyMatch | None]:
    """Deal amounts in order, and the valuation if one is stated.

    For an acquisition, the price and the value of the deal are its amount, not a valuation."""
    deal_amounts, valuation = [], None
    previous_end = None
    for span in sent.doc.spans["money"]:
        if span.start < sent.start or span.end > sent.end:
            continue
        match: MoneyMatch = span._.money
        converted = previous_end is not None and _CONVERSION.fullmatch(doc_text(sent.doc)[previous_end:span.start_char])
        previous_end = span.end_char
        if converted:
            continue  # "A$24 billion (US$16.1 billion)": the same money in another currency
        before = doc_text(sent.doc)[max(sent.start_char, span.start_char - 90): span.start_char].lower()
        after = doc_text(sent.doc)[span.end_char: min(sent.end_char, span.end_char + 25)].lower()
        if _PER_SHARE.match(after):
            continue
        if deal_type == "acquisition" and _DEAL_VALUE.search(before):
            deal_amounts.append(match)
            continue
        if _VALUATION_BEFORE.search(before) or _VALUATION_AFTER.match(after):
            valuation = valuation or match
            continue
        if cues.not_amount is not None and (cues.not_amount.search(before[-25:]) or
                                            cues.not_amount.match(after.strip())) or _NOT_AMOUNT_AFTER.match(after):
            continue
        deal_amounts.append(match)
    return deal_amounts, valuation


_CONVERSION = re.compile(r"\s*(?:\(|\[|,?\s+or|,|/)\s*(?:about|around|roughly|some|approximately|nearly|almost|"
                         r"just over|more than|over|~|c\.)?\s*", re.IGNORECASE)


# -- who ----------------------------------------------------------------------------------------
def _participants(sent: Span, companies: list[Span], deal_type: str, cues: Cues) -> list[tuple[Span, str]]:
    roles = []
    for company in companies:
        role = _role(sent, company, deal_type, cues)
        if role:
            roles.append((company, role))
    return roles


_PLURAL_DEALS = re.compile(r"\b(?:partnerships|alliances|agreements|deals|joint ventures)\s+with\b", re.IGNORECASE)
_BID_FROM = re.compile(r"\b(?:proposal|offer|bid|approach|overture)s? from\b", re.IGNORECASE)
_SHARE_SALE = re.compile(r"\b(?:issu\w*|sell\w*|sold)\b[^.;]*\b(?:stock|shares|equity|stake)\b", re.IGNORECASE)
_WITH_ALSO = re.compile(r",\s*(?:and\s+)?(?:with|plus|alongside)\b", re.IGNORECASE)
_TRAILING_PARTY = re.compile(r"^\W*(?:\w+\W+){0,3}(?:also\s+)?(?:participated|invested|joined|took part|taking part|"
                             r"participating|contributed)\b")
# The buyer's side of a supply deal ("power purchase agreement" names the deal, not a buyer).
_BUYS = re.compile(r"\b(?:to buy|bought|buys|will buy|to purchase|purchased|purchases|ordered|orders|ordering)\b",
                   re.IGNORECASE)
_PARTY_VERBS = {"participate", "invest", "join", "back", "contribute", "buy", "purchase", "take", "support"}
_ACQUIRE_AFTER = re.compile(r"^[^.;]{0,60}?\b(?:acquire|buy|purchase|take over|merge with|absorb)\b", re.IGNORECASE)
_LEAD_VERBS = {"lead", "co-lead", "colead", "head", "anchor", "spearhead"}


def _role(sent: Span, company: Span, deal_type: str, cues: Cues) -> str | None:
    doc = sent.doc
    before = doc_text(doc)[sent.start_char: company.start_char]
    clause = re.split(r"[;:]|\.\s", before)[-1]
    shift = len(before) - len(clause)  # cue offsets are found in the clause, measured in the sentence
    root = _list_head(company)
    verb = root.head if root.dep_ in _SUBJECT_DEPS else None
    if deal_type == "debt_financing" and cues.is_lender(company):
        return "lender"
    if deal_type in ("funding_round", "debt_financing"):
        investor = "investor" if deal_type == "funding_round" else "lender"
        if verb is not None and verb.lemma_.lower() in _LEAD_VERBS:
            return "lead_investor" if deal_type == "funding_round" else "lender"
        if verb is not None and (verb.lemma_.lower() in _PARTY_VERBS or
                                 verb.lemma_.lower() == "take" and "part" in verb.subtree.__class__.__name__):
            return investor
        if _TRAILING_PARTY.search(doc.text[company.end_char: sent.end_char]):
            return investor  # "with X and Y participating"
        lead = _last(cues.lead, clause)
        part = _last(cues.participation, clause)
        joined = [m.end() for m in _WITH_ALSO.finditer(clause)]
        if joined and (part is None or joined[-1] > part):
            part = joined[-1]
        if lead is not None and (part is None or lead > part) and _only_names_between(doc, sent, shift + lead, company):
            return "lead_investor" if deal_type == "funding_round" else "lender"
        if part is not None and _only_names_between(doc, sent, shift + part, company):
            return investor
        if re.search(r"\b(?:to|from)\s+$", clause) and _SHARE_SALE.search(sent.text):
            return investor  # "will issue $350 million of its stock to OpenAI"
        if deal_type == "debt_financing" and re.search(r"\b(?:from|by|with)\s+(?:\w+\s+){0,3}$", clause):
            return "lender"
        if _list_followed_by_party_verb(company):
            return investor
        return None
    if deal_type == "acquisition":
        if _BID_FROM.search(sent.text):  # "rejected an unsolicited proposal from CoreWeave to acquire the company"
            return "acquirer" if re.search(_BID_FROM.pattern + r"\s+(?:the\s+)?$", clause, re.IGNORECASE) else None
        if root.dep_ == "nsubj" and _ACQUIRE_AFTER.search(doc.text[company.end_char: sent.end_char]):
            return "acquirer"  # "SoftBank is in talks to acquire Graphcore"
        if verb is not None and verb.lemma_.lower() in ("acquire", "buy", "purchase", "agree", "say", "complete",
                                                          "close", "absorb", "take") and root.dep_ == "nsubj":
            return "acquirer"
        if re.search(r"\bby\s+$", clause) or root.dep_ == "poss" and root.head.lemma_.lower() in (
                "acquisition", "purchase", "takeover", "deal", "bid", "offer"):
            return "acquirer"
        return None
    if deal_type == "grant" and cues.is_public_body(company):
        return "grantor"
    if deal_type == "grant":
        if verb is not None and verb.lemma_.lower() in ("award", "grant", "give", "provide", "say", "finalize",
                                                          "announce", "offer") and root.dep_ == "nsubj":
            return "grantor"
        if re.search(r"\b(?:from|by)\s+(?:the\s+)?(?:\S+\s+){0,2}$", clause):
            return "grantor"
        return None
    if deal_type == "supply_agreement":
        if _BUYS.search(sent.text) and root.dep_ in _SUBJECT_DEPS:
            return "customer"  # "X committed $1.5 billion to buy Groq systems": the buyer is the customer
        if _BUYS.search(sent.text):
            return None
        if root.dep_ in ("dobj", "dative", "pobj") or re.search(r"\b(?:to|with|for)\s+$", clause):
            return "customer"
        return None
    if deal_type in ("partnership", "capex_commitment"):
        if re.search(r"\b(?:with|alongside|and)\s+(?:the\s+)?$", clause) or root.dep_ == "conj":
            return "partner"
    return None


_TITLE_AFTER = re.compile(r"\s+(?:chief|ceo|cfo|cto|coo|founder|co-founder|chairman|chairwoman|president|"
                          r"executive|spokes\w+)\b", re.IGNORECASE)


def _modifier(span: Span) -> bool:
    """A name used as a modifier ("a Grace CPU", "Nvidia-based servers") names a product, not a party;
    a company's possessive or a list of names is kept."""
    root = span.root
    if _TITLE_AFTER.match(doc_text(span.doc)[span.end_char:span.end_char + 24]):
        return True  # "Tessel Labs chief executive Ann Moro": a person's employer, no party
    return root.dep_ in ("compound", "amod") and root.head.pos_ == "NOUN" and span.end <= root.head.i <= span.end + 1 \
        and not re.match(r"(?:'s|’s)", doc_text(span.doc)[span.end_char:span.end_char + 2]) \
        and not re.match(r"\s+(?:shares|stock)\b", doc_text(span.doc)[span.end_char:span.end_char + 8])


def _principal(sent: Span, companies: list[Span], roles: list[tuple[Span, str]], deal_type: str) -> Span | None:
    taken = {(s.start, s.end) for s, _ in roles}
    free = [c for c in companies if (c.start, c.end) not in taken]
    if not free:
        return None
    head = _item_head(sent, free)
    if head is not None:
        return head  # "- MatX (Mountain View): the startup ... is in talks to raise $80 million"
    if deal_type == "funding_round":
        issuer = [c for c in free if re.match(r"(?:'s|’s)?\s+(?:shares|stock)\b", doc_text(sent.doc)[c.end_char:c.end_char + 10])]
        if issuer:
            return issuer[0]  # "agreed to buy $335 million of Cerebras shares"
    created = [c for c in free if _NEW_ENTITY.search(doc_text(sent.doc)[max(sent.start_char, c.start_char - 40):c.start_char])]
    if created and deal_type in ("capex_commitment", "partnership"):
        return created[0]  # "unveiled a joint venture called the Stargate Project that would invest $500 billion"
    # A name that only modifies a noun ("former Google TPU engineers") is not who made the deal.
    free = [c for c in free if not (c.root.dep_ == "compound" and c.root.head.pos_ == "NOUN")] or free
    if deal_type == "ipo":
        subjects = [c for c in free if _list_head(c).dep_ in _SUBJECT_DEPS | {"poss"}
                    or _list_head(c).head.head.lower_ in ("shares", "stock")]
        if subjects:
            return subjects[0]
        cue = _IPO_WORDS.search(sent.text)
        before = [c for c in free if cue and c.end_char <= sent.start_char + cue.start()
                  and _list_head(c).dep_ in ("ROOT", "appos", "nsubj")]
        return before[0] if before else None
    if deal_type == "supply_agreement" and not _BUYS.search(sent.text):
        cue = _SUPPLIES.search(sent.text)
        before = [c for c in free if cue and c.end_char <= sent.start_char + cue.start()]
        if before:
            return before[-1]  # "Dell and Super Micro, which supplied the servers": the supplier is named last
    if deal_type == "acquisition":
        if _PASSIVE_ACQUIRED.search(sent.text):
            return free[0]  # "Graphcore, once hailed as ..., has been acquired by SoftBank"
        for deps in (("nsubjpass",), ("dobj",), ("pobj", "appos")):
            objects = [c for c in free if _list_head(c).dep_ in deps]
            if objects:
                return objects[0]
    if deal_type == "funding_round":
        backed = [c for c in free if _INVESTED_IN.search(doc_text(sent.doc)[max(sent.start_char, c.start_char - 40):c.start_char])]
        if backed:
            return backed[0]  # "Amazon said it had led a $500 million financing round in X-energy"
    subjects = [c for c in free if _list_head(c).dep_ in _SUBJECT_DEPS or _list_head(c).dep_ == "poss"]
    if subjects:
        return subjects[0]
    return free[0]


_HYPOTHETICAL = re.compile(r"\b(?:need|needs|needed|have|has) to raise\b", re.IGNORECASE)
_NEW_ENTITY = re.compile(r"\b(?:joint venture|venture|company|partnership|entity|vehicle)\s+(?:called|named|dubbed|"
                         r"known as)\s+(?:the\s+)?$", re.IGNORECASE)
_NEW_ENTITY_SPENDS = re.compile(r"\b(?:called|named|dubbed)\b.*\b(?:invest|spend|build|deploy)\w*", re.IGNORECASE)
_IPO_WORDS = re.compile(r"\b(?:ipo|initial public offering|go(?:es|ing)? public|listing|debut)\b", re.IGNORECASE)
_INVESTS = re.compile(r"\binvest(?:s|ed|ing)?\b|\bled (?:the|a) (?:round|financing|investment)\b|"
                      r"\bback(?:s|ing)\b|\bis supporting\b", re.IGNORECASE)
_INVESTED_IN = re.compile(r"\b(?:(?:round|investment|stake|funding|financing)\s+(?:in|for)|"
                          r"invest(?:ed|s|ing)?(?:\s+[\w$.,-]+){0,5}?\s+in)\s+(?:the\s+)?$", re.IGNORECASE)


# A company named only for comparison is no party to the deal ("a challenger to Nvidia", "rivals such as X");
# "giants like X" gives an example, which may well be a party.
_COMPARED = re.compile(r"\b(?:(?:challeng\w*|rivals?|competitors?|peers?)(?:\s+(?:such as|like|including))?|against|"
                       r"compet\w* with|than|versus|vs\.?|alternative to|take on)\s+(?:the\s+)?$", re.IGNORECASE)

_SUPPLIES = re.compile(r"\b(?:suppl(?:y|ies|ied|ying)|provid(?:e|es|ed|ing)|deliver\w*|sell\w*|sold|lease\w*|rent\w*)\b",
                       re.IGNORECASE)
_PASSIVE_ACQUIRED = re.compile(r"\b(?:was|been|is|be|being)\s+(?:acquired|bought|purchased|taken over)\s+by\b",
                               re.IGNORECASE)


def _item_head(sent: Span, companies: list[Span]) -> Span | None:
    """The company a list item is about: "- X (City): ..." or "- X: ..."."""
    first = companies[0]
    lead = doc_text(sent.doc)[sent.start_char:first.start_char]
    after = doc_text(sent.doc)[first.end_char:first.end_char + 2]
    if re.fullmatch(r"\s*[-•*–]?\s*", lead) and after[:1] in (":", "(") or after.startswith(" ("):
        return first if re.fullmatch(r"\s*[-•*–]?\s*", lead) else None
    return None


def _list_head(span: Span):
    """The token that carries the syntactic role of a name, through coordination and compounds."""
    tok = span.root
    while tok.dep_ in ("conj", "appos") and tok.head != tok:
        tok = tok.head
    return tok


def _list_followed_by_party_verb(span: Span) -> bool:
    tok = _list_head(span)
    return tok.dep_ in _SUBJECT_DEPS and tok.head.lemma_.lower() in _PARTY_VERBS | {"take"}


def _last(pattern: re.Pattern | None, text: str) -> int | None:
    if pattern is None:
        return None
    ends = [m.end() for m in pattern.finditer(text)]
    return ends[-1] if ends else None


def _only_names_between(doc: Doc, sent: Span, offset: int, company: Span) -> bool:
    """Between a cue and a company there may be other names, commas, 'and' and a few filler words."""
    gap = doc_text(doc)[sent.start_char + offset: company.start_char]
    names = [c for c in doc.spans["companies"] if sent.start_char + offset <= c.start_char < company.start_char]
    for c in names:
        gap = gap.replace(c.text, " ")
    words = re.findall(r"[A-Za-z][\w'-]*", gap)
    return len(words) <= 6


_RAISES = re.compile(r"\b(?:rais(?:e|es|ed|ing)|secur(?:e|es|ed|ing))\b", re.IGNORECASE)


def _has_money(sent: Span) -> bool:
    return any(sent.start <= m.start and m.end <= sent.end for m in sent.doc.spans["money"])


def _add_late_amount(deal: Deal, sent: Span) -> Deal:
    """"People familiar with the talks put the price at about $700 million": the amount of the deal just named."""
    if deal.amount is not None or deal.deal_type not in ("acquisition",) or not _PRICE_WORDS.search(sent.text):
        return deal
    money = [m._.money for m in sent.doc.spans["money"] if sent.start <= m.start and m.end <= sent.end]
    if len(money) != 1:
        return deal
    return replace(deal, amount=money[0].value, currency=money[0].currency, amount_text=money[0].text)


_VALUED = ("funding_round", "ipo")     # the deals whose company a valuation is stated for


def _add_late_valuation(deal: Deal, sent: Span, cues: Cues) -> Deal:
    """"The round values the company at $1 billion": the valuation of the round just named, when the
    sentence names no other company and recalls no history."""
    if deal.deal_type not in _VALUED or deal.valuation is not None:
        return deal
    if cues.history is not None and cues.history.search(sent.text):
        return deal
    ours = {deal.company_canonical, deal.company} | {p.canonical for p in deal.participants}
    if any(c.id_ not in ours and c.kb_id_ not in ours for c in sent.doc.spans["companies"]
           if sent.start <= c.start and c.end <= sent.end):
        return deal
    _, valuation = _amounts(sent, cues)
    if valuation is None or (deal.currency and valuation.currency != deal.currency):
        return deal
    return replace(deal, valuation=valuation.value)


_PRICE_WORDS = re.compile(r"\b(?:price|paid|pay|paying|valued|valuing|terms|worth)\b", re.IGNORECASE)


def _add_late_participants(deal: Deal, sent: Span, cues: Cues) -> Deal:
    """A sentence after the deal that only names more investors or lenders ("X and Y also took part")."""
    if deal.deal_type not in ("funding_round", "debt_financing"):
        return deal
    text = sent.text
    amounts, valuation = _amounts(sent, cues)
    if cues.late_party is None or not cues.late_party.search(text) or _RAISES.search(text) or amounts or \
            (cues.history is not None and cues.history.search(text)):
        return deal  # only a sentence that names more backers of this deal, not another deal or history
    if valuation is not None and deal.valuation is None and deal.deal_type == "funding_round":
        deal = replace(deal, valuation=valuation.value)  # "... took part in the round, which values it at $600 million"
    companies = [c for c in sent.doc.spans["companies"] if c.start >= sent.start and c.end <= sent.end]
    added = []
    backer = "investor" if deal.deal_type == "funding_round" else "lender"
    for company in companies:
        if _modifier(company) or company.root.dep_ == "poss":
            continue  # "GV, Alphabet's venture arm": Alphabet is not a backer here
        role = _role(sent, company, deal.deal_type, cues) or backer
        if company.kb_id_ != deal.company:
            added.append(Participant(company.text, role, company.id_))
    if not added:
        return deal
    return replace(deal, participants=tuple(dict.fromkeys(deal.participants + tuple(added))))


def _merge(deals: list[Deal], new: Deal) -> list[Deal]:
    """One deal per type and company: later sentences fill what earlier ones left empty."""
    if new.deal_type == "funding_round" and not new.participants and new.amount is not None:
        for i, old in enumerate(deals):
            if old.deal_type == "ipo" and old.company == new.company and old.amount is None \
                    and _SHARE_SALE.search(new.evidence):
                deals[i] = replace(old, amount=new.amount, currency=new.currency, amount_text=new.amount_text)
                return deals  # "Astera sold 19.8 million shares ..., raising $712.8 million": the IPO's proceeds
    if new.deal_type == "ipo":
        for i, old in enumerate(deals):
            if old.deal_type == "funding_round" and old.company == new.company and not old.participants \
                    and old.amount is not None and _SHARE_SALE.search(old.evidence):
                deals[i] = replace(old, deal_type="ipo", round=None)  # the raise told first was the listing
                return deals
    for i, old in enumerate(deals):
        if old.deal_type == new.deal_type and old.company == new.company and (
                old.amount is None or new.amount is None or old.amount == new.amount):
            deals[i] = replace(
                old,
                amount=old.amount if old.amount is not None else new.amount,
                currency=old.currency or new.currency,
                amount_text=old.amount_text or new.amount_text,
                round=old.round or new.round,
                valuation=old.valuation if old.valuation is not None else new.valuation,
                participants=tuple(dict.fromkeys(old.participants + new.participants)),
            )
            return deals
    return deals + [new]
