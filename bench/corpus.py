"""A reproducible corpus of news-like articles about AI-infrastructure deals, written as RSS feeds.

Every article is a deal story (funding, acquisition, supply deal, debt, data-center build) wrapped in
business prose of 15-30-word sentences, 300-800 words long (about 450 on average).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

from bench import words as w


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    paragraphs: list[str]
    published: datetime

    @property
    def text(self) -> str:
        """The body as the ingest sees it after HTML to text: paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def company_name(rng: random.Random) -> str:
    stem = "".join(rng.choice(w.SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
    return f"{stem} {rng.choice(w.SUFFIXES)}" if rng.random() < 0.8 else stem


def fund_name(rng: random.Random) -> str:
    stem = "".join(rng.choice(w.SYLLABLES) for _ in range(2)).capitalize()
    return f"{stem} {rng.choice(w.FUND_SUFFIXES)}"


def amount(rng: random.Random, low: float, high: float) -> str:
    value = rng.uniform(low, high)
    if value >= 1000:
        return rng.choice([f"${value / 1000:.1f} billion", f"US${value / 1000:.2f}bn", f"{value / 1000:.1f} billion dollars"])
    return rng.choice([f"${value:.0f} million", f"${value:.0f}m", f"\u20ac{value * 0.92:.0f} million"])


def _lead(rng: random.Random, s: dict) -> tuple[str, list[str]]:
    kind = rng.choice(["round", "round", "round", "acquisition", "supply", "debt", "capex"])
    if kind == "round":
        title = f"{s['company']} raises {s['money']} {s['round']} round to build {s['product']}"
        lead = [f"{s['company']}, a startup in {s['city']} that makes {s['product']}, said on {s['day']} it had raised "
                f"{s['money']} in a {s['round']} funding round led by {s['investor']}, valuing the company at {s['valuation']}.",
                f"Existing investors {s['investor2']} and {s['fund']} also took part in the round, which the company said was "
                f"oversubscribed within a few weeks of opening to new backers."]
    elif kind == "acquisition":
        title = f"{s['buyer']} to acquire {s['company']} for {s['money']}"
        lead = [f"{s['buyer']} has agreed to acquire {s['company']}, a maker of {s['product']}, for about {s['money']} "
                f"in cash and stock, the companies said on {s['day']} in a joint statement.",
                f"The deal, which is expected to close in the second half of the year subject to regulatory approval, "
                f"would bring roughly {s['staff']} engineers from {s['company']} into the acquirer's data center group."]
    elif kind == "supply":
        title = f"{s['company']} signs multi-year supply deal with {s['buyer']}"
        lead = [f"{s['company']} has signed a multi-year agreement worth {s['money']} to supply {s['buyer']} with "
                f"{s['product']} for its new facilities in {s['city']}, the companies announced on {s['day']}.",
                f"Under the contract, deliveries will begin early next year and ramp up as each phase of the "
                f"{s['city2']} campus comes online, according to a person familiar with the terms."]
    elif kind == "debt":
        title = f"{s['company']} secures {s['money']} debt facility backed by GPUs"
        lead = [f"{s['company']}, which rents {s['product']} to AI developers, said on {s['day']} it had secured a "
                f"{s['money']} debt financing facility led by {s['fund']} with participation from {s['investor']}.",
                f"The loan is secured by the company's existing hardware and customer contracts, a structure that has "
                f"become common as neoclouds race to finance expensive fleets of accelerators."]
    else:
        title = f"{s['company']} commits {s['money']} to new AI data center in {s['city']}"
        lead = [f"{s['company']} plans to invest {s['money']} in a new AI data center campus near {s['city']}, "
                f"the company said on {s['day']}, as it races to add capacity for customers training large models.",
                f"The first phase of the site, which will draw on a dedicated supply of renewable power, is scheduled "
                f"to open next year and could eventually host several hundred thousand accelerators."]
    return title, lead


def _slots(rng: random.Random) -> dict:
    company = company_name(rng)
    return {
        "company": company,
        "buyer": rng.choice(w.KNOWN_BUYERS) if rng.random() < 0.6 else company_name(rng),
        "other": rng.choice(w.KNOWN_BUYERS),
        "investor": rng.choice(w.KNOWN_INVESTORS),
        "investor2": rng.choice(w.KNOWN_INVESTORS),
        "fund": fund_name(rng),
        "money": amount(rng, 8, 4000),
        "valuation": amount(rng, 300, 20000),
        "round": rng.choice(w.ROUNDS),
        "product": rng.choice(w.PRODUCTS),
        "city": rng.choice(w.CITIES),
        "city2": rng.choice(w.CITIES),
        "day": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
        "year": rng.randint(2012, 2024),
        "staff": rng.choice([40, 85, 120, 250, 400, 900]),
        "person": f"{rng.choice(w.FIRST)} {rng.choice(w.LAST)}",
        "role": rng.choice(w.ROLES),
    }


def _filler(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:
        return f"{rng.choice(w.OPENERS)} {rng.choice(w.TRENDS)}."
    if shape < 0.7:
        return f"{rng.choice(w.OPENERS)} {rng.choice(w.CONSEQUENCES)}."
    trend = rng.choice(w.TRENDS)
    return f"{trend[0].upper()}{trend[1:]}, {rng.choice(w.LINKS)} {rng.choice(w.CONSEQUENCES)}."


def make_article(rng: random.Random, index: int, start: datetime) -> Article:
    s = _slots(rng)
    title, lead = _lead(rng, s)
    paragraphs = [" ".join(lead)]
    target = int(rng.triangular(290, 700, 300))          # words; mean about 450
    context = rng.sample(w.CONTEXT, len(w.CONTEXT))
    quotes = rng.sample(w.QUOTES, 2)
    words = sum(len(p.split()) for p in paragraphs)
    while words < target:
        sentences = [_filler(rng) for _ in range(rng.randint(1, 3))]
        if context:
            sentences.insert(rng.randrange(len(sentences) + 1), context.pop().format(**s))
        if quotes and rng.random() < 0.35:
            sentences.append(quotes.pop().format(**s))
        paragraphs.append(" ".join(sentences))
        words += len(paragraphs[-1].split())
    slug = "-".join(title.lower().replace("$", "").split()[:8]).replace("\u20ac", "").replace(".", "")
    return Article(url=f"https://news.bench.invalid/{index:06d}/{slug}", title=title, paragraphs=paragraphs,
                   published=start + timedelta(minutes=17 * index))


def make_corpus(count: int, seed: int = 5) -> list[Article]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    return [make_article(rng, i, start) for i in range(count)]


def write_feeds(articles: list[Article], directory: Path, per_feed: int = 100) -> list[Path]:
    """RSS 2.0 files of `per_feed` items each, bodies in <content:encoded> as HTML paragraphs."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, first in enumerate(range(0, len(articles), per_feed)):
        paths.append(write_feed(articles[first:first + per_feed], directory / f"feed-{n:03d}.xml", n))
    return paths


def write_feed(articles: list[Article], path: Path, n: int = 0) -> Path:
    """One RSS file; with no articles, a valid feed with no items (to time the fixed cost of a run)."""
    items = "".join(_item(a) for a in articles)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
        f"<title>Bench wire {n}</title>\n<link>https://news.bench.invalid/</link>\n"
        f"<description>Generated AI-infrastructure deal news, feed {n}</description>\n"
        f"{items}</channel>\n</rss>\n", encoding="utf-8")
    return path


def _item(a: Article) -> str:
    html = "".join(f"<p>{escape(p, quote=False)}</p>" for p in a.paragraphs)
    return (f"<item>\n<title>{escape(a.title)}</title>\n<link>{a.url}</link>\n"
            f'<guid isPermaLink="true">{a.url}</guid>\n<pubDate>{format_datetime(a.published)}</pubDate>\n'
            f"<description>{escape(a.paragraphs[0])}</description>\n"
            f"<content:encoded><![CDATA[{html}]]></content:encoded>\n</item>\n")
