"""What extraction produces: plain frozen records, independent of spaCy and of storage."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

DEAL_TYPES = (
    "funding_round", "debt_financing", "acquisition", "partnership",
    "supply_agreement", "capex_commitment", "ipo", "grant",
)
ROLES = ("investor", "lead_investor", "lender", "acquirer", "customer", "partner", "grantor")


@dataclass(frozen=True)
class Mention:
    label: str          # spaCy's label names: ORG, MONEY, ...
    text: str
    start_char: int
    end_char: int
    canonical: str | None = None   # ORG: the company's canonical name


@dataclass(frozen=True)
class Participant:
    name: str                      # as the evidence sentence writes it
    role: str
    canonical: str | None = None   # the company's canonical name (companies.name)


@dataclass(frozen=True)
class Deal:
    deal_type: str
    company: str
    evidence: str
    evidence_start: int
    evidence_end: int
    amount: float | None = None
    currency: str | None = None
    amount_text: str | None = None
    round: str | None = None
    valuation: float | None = None
    status: str = "announced"
    participants: tuple[Participant, ...] = field(default_factory=tuple)
    company_canonical: str | None = None   # companies.name of the principal company


def deal_to_dict(deal: Deal) -> dict:
    """The deal as plain values (for msgpack, JSON)."""
    return asdict(deal)


def deal_from_dict(data: dict) -> Deal:
    parts = tuple(Participant(**p) for p in data.get("participants") or ())
    return Deal(**{**data, "participants": parts})


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one article's text."""
    mentions: tuple[Mention, ...]
    deals: tuple[Deal, ...]


@dataclass(frozen=True)
class Article:
    """One feed entry, as stored: plain text plus where and when it came from."""
    article_id: str
    feed_url: str
    url: str | None
    guid: str | None
    title: str
    author: str | None
    published_at: datetime | None
    content_hash: str
    text: str

