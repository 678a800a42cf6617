"""Find and normalise money amounts in English news text about AI-infrastructure deals.

Pure functions, standard library only. Three surface forms are recognised:

* prefix:  "$1.2bn", "US$300 million", "Rs 2,000 crore", "CHF 200 million", "won 100 billion"
* suffix:  "1.5 billion euros", "500 million U.S. dollars", "100 billion won", "300 million USD"
* words:   "half a billion dollars", "a billion dollars"

A number without a currency ("raised 500 million", "10 GW", "2023") is never money.
`MoneyMatch.text` covers only the amount; qualifier words ("up to", "-plus") are reported
in `qualifier` and are not part of `text`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.versions import MONEY as VERSION  # noqa: F401  (this component's own version)


@dataclass(frozen=True)
class MoneyMatch:
    start: int  # char offset in the text passed in
    end: int
    text: str  # text[start:end]
    value: float  # in units of currency
    currency: str  # ISO 4217
    qualifier: str | None  # up_to, more_than, about, at_least, less_than, plus


# Digits with optional thousands groups and decimals. Groups must be exactly three digits and the
# number may not run on into more digits ("1,2345", "€1,5 bn"): better no match than a wrong one.
_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?![0-9]|,[0-9])"

# Multiplier -> power of ten. Values are built as float("1.1e12") so they are exact, not 1.1 * 1e12.
_SCALE = {"trillion": 12, "tn": 12, "trn": 12, "t": 12, "billion": 9, "bn": 9, "bln": 9, "b": 9,
          "million": 6, "mn": 6, "mln": 6, "mm": 6, "mil": 6, "m": 6, "thousand": 3, "k": 3,
          "lakh crore": 12, "crore": 7, "cr": 7, "lakh": 5, "lac": 5}
# Words and abbreviations may follow a space or hyphen ("$1.2 bn", "$5-million"); single letters
# only when glued to the number ("$2B", "£40m"), since "$5 m" or "$2 b" is too easily something else.
_MULT_WORDS = (r"lakh\s+crores?|trillion|billion|million|thousand|crores?|lakhs?|lacs?"
               r"|trn|tn|bln|bn|mln|mn|mm|mil|cr")


def _mult(name: str | None) -> str:
    word, letter = (f"?P<{name}>", f"?P<{name}_l>") if name else ("?:", "?:")
    # (?![a-z]) stops "$5 milestone" or "$5mW" from yielding a multiplier.
    return rf"(?:[\s-]?({word}{_MULT_WORDS})|({letter}[tbmk]))(?![a-z])"


# Currency written before the number. Letter-led tokens must not follow a letter, so "RAISES$5M"
# gives "$5M" and not "S$5M" (SGD); "US$" wins over "$" because the leftmost match is taken.
_LETTER_PREFIXES = {"US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD",
                    "S$": "SGD", "HK$": "HKD", "NZ$": "NZD", "NT$": "TWD", "R$": "BRL",
                    "CN¥": "CNY", "RMB": "CNY", "Rs.": "INR", "Rs": "INR", "won": "KRW", "Won": "KRW"}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW"}
_ISO = ("USD EUR GBP JPY CNY INR CHF CAD AUD KRW SGD HKD SEK NOK DKK NZD TWD BRL AED SAR "
        "QAR ILS MYR IDR ZAR").split()
_PREFIXES = {**_LETTER_PREFIXES, **_SYMBOLS, **{c: c for c in _ISO}}


def _alt(tokens) -> str:
    # Longest first so "HK$" is tried before "$"; case-sensitive so "usd"/"rs" in prose don't count.
    return "(?-i:" + "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)) + ")"


_PREFIX = rf"(?:(?<![A-Za-z]){_alt(list(_LETTER_PREFIXES) + _ISO)}|{_alt(_SYMBOLS)})"

# Currency written after the number. Qualified names come before bare "dollars" so that the
# lookup in _word_currency finds "Canadian dollars" -> CAD before "dollars" -> USD.
_WORD_CURRENCIES = [
    (r"(?:u\.?s\.?|american)\s*dollars?", "USD"), (r"canadian\s+dollars?", "CAD"),
    (r"australian\s+dollars?", "AUD"), (r"singapore\s+dollars?", "SGD"),
    (r"hong\s+kong\s+dollars?", "HKD"), (r"new\s+zealand\s+dollars?", "NZD"),
    (r"(?:new\s+)?taiwan(?:ese)?\s+dollars?", "TWD"), (r"dollars?", "USD"), (r"euros?", "EUR"),
    (r"(?:british\s+)?pounds?(?:\s+sterling)?|sterling", "GBP"), (r"(?:japanese\s+)?yen", "JPY"),
    (r"(?:chinese\s+)?yuan|renminbi", "CNY"), (r"(?:indian\s+)?rupees?", "INR"),
    (r"swiss\s+francs?", "CHF"), (r"(?:swedish\s+)?(?:kronor|krona)", "SEK"),
    (r"norwegian\s+kroner?", "NOK"), (r"danish\s+kroner?", "DKK"),
    (r"(?:south\s+)?(?:korean\s+)?won", "KRW"), (r"(?:saudi\s+)?riyals?", "SAR"),
    (r"(?:uae\s+|emirati\s+)?dirhams?", "AED"),
]
_WORD_CURRENCY_RES = [(re.compile(p, re.I), c) for p, c in _WORD_CURRENCIES]
_CURWORD = "(?:" + "|".join(p for p, _ in _WORD_CURRENCIES) + "|" + _alt(_ISO) + r")(?![a-z])"

# "$1-2 billion", "$1 to $2 billion", "1.5-2 billion euros": the first number borrows the
# multiplier of the second (only when there is one), giving two matches.
_RANGE = rf"(?:\s*(?:-|–|—|to)\s*(?:(?P<sym2>{_PREFIX})\s?)?(?P<num2>{_NUM})(?={_mult(None)}))?"

_PREFIX_RE = re.compile(rf"(?P<sym>{_PREFIX})\s?(?P<num>{_NUM}){_RANGE}(?:{_mult('mult')})?", re.I)
_SUFFIX_RE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM}){_RANGE}(?:{_mult('mult')})?\s+(?P<word>{_CURWORD})", re.I)
_WORD_NUMBERS = {"half a": "0.5", "a half": "0.5", "a quarter of a": "0.25", "a quarter": "0.25",
                 "quarter of a": "0.25", "a": "1", "an": "1", "one": "1", "two": "2", "three": "3",
                 "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
                 "ten": "10"}
_WORDNUM_RE = re.compile(
    r"(?<![\w])(?P<wn>half\s+a|a\s+half|a\s+quarter(?:\s+of\s+a)?|quarter\s+of\s+a|an?|one|two|three"
    rf"|four|five|six|seven|eight|nine|ten)\s+(?P<mult>trillion|billion|million)\s+(?P<word>{_CURWORD})",
    re.I)
_PATTERNS = (_PREFIX_RE, _SUFFIX_RE, _WORDNUM_RE)

# Words just before the amount that qualify it. Anchored at the amount; the leftmost alternative
# that reaches it wins, so "no more than" (up_to) beats the "more than" inside it.
_QUALIFIER_RE = re.compile(
    r"(?<![\w])(?:(?P<up_to>up\s+to|as\s+much\s+as|as\s+high\s+as|no\s+more\s+than|not\s+more\s+than)"
    r"|(?P<at_least>at\s+least|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of)"
    r"|(?P<more_than>more\s+than|over|above|in\s+excess\s+of|upwards\s+of|north\s+of|exceeding"
    r"|greater\s+than|beyond)"
    r"|(?P<less_than>less\s+than|under|below|shy\s+of|short\s+of)"
    r"|(?P<about>about|around|approximately|approx\.|roughly|nearly|almost|some|close\s+to|circa"
    r"|an\s+estimated|estimated|~))\s*$", re.I)
# "$40 billion-plus", "$500M+". A spaced " plus" is left alone: "$5m plus interest" is not a floor.
_PLUS_RE = re.compile(r"-?plus(?![a-z])|\+", re.I)
# "won" is also a verb: "won 100 million users" is not KRW. After "won <n> <mult>" only punctuation,
# the end, or a function word ("won 100 billion in funding") may follow.
_WON_REJECT_RE = re.compile(
    r"\s+(?!(?:in|from|to|for|of|and|or|this|that|last|next|a|an|the|with|on|by|at|over|as"
    r"|after|before|since|during|through|via|worth)\b)[a-z]", re.I)
# Bare words that are money only with a multiplier ("5 pounds of GPUs", "in 2023 won").
_NEEDS_MULT = {"won", "Won", "pound", "pounds"}


def _scale(word: str) -> int:
    w = " ".join(word.lower().split())
    return _SCALE[w] if w in _SCALE else _SCALE[w.rstrip("s")]


def _word_currency(word: str) -> str:
    if word in _ISO:
        return word
    return next(c for rx, c in _WORD_CURRENCY_RES if rx.fullmatch(word))


def _qualifier(text: str, start: int) -> str | None:
    m = _QUALIFIER_RE.search(text, max(0, start - 40), start)
    return m.lastgroup if m else None


def _build(text: str, m: re.Match) -> list[MoneyMatch] | None:
    """Turn one regex match into one or two MoneyMatch, or None if it is not really money."""
    g = m.groupdict()
    mult = g.get("mult") or g.get("mult_l")
    sym, word = g.get("sym"), g.get("word")
    if not mult and (sym in _NEEDS_MULT or (word or "").lower() in _NEEDS_MULT):
        return None
    if sym in ("won", "Won") and _WON_REJECT_RE.match(text, m.end()):
        return None
    currency = _PREFIXES[sym] if sym else _word_currency(word)
    exp = _scale(mult) if mult else 0
    number = _WORD_NUMBERS[" ".join(g["wn"].lower().split())] if g.get("wn") else g["num"]
    value = float(f"{number.replace(',', '')}e{exp}")
    plus = "plus" if _PLUS_RE.match(text, m.end()) else None
    start, end = m.start(), m.end()
    if not g.get("num2"):
        return [MoneyMatch(start, end, text[start:end], value, currency, plus or _qualifier(text, start))]
    # Range: the first amount ends at its number and shares the multiplier of the second.
    first_end = m.end("num")
    second_start = m.start("sym2") if g.get("sym2") else m.start("num2")
    second_currency = _PREFIXES[g["sym2"]] if g.get("sym2") else currency
    return [
        MoneyMatch(start, first_end, text[start:first_end], value, currency, _qualifier(text, start)),
        MoneyMatch(second_start, end, text[second_start:end],
                   float(f"{g['num2'].replace(',', '')}e{exp}"), second_currency, plus),
    ]


def find_money(text: str) -> list[MoneyMatch]:
    """Every money amount in `text`, in order of position, non-overlapping."""
    found: list[MoneyMatch] = []
    pos = 0
    while True:
        candidates = [m for rx in _PATTERNS if (m := rx.search(text, pos))]
        if not candidates:
            return found
        # Leftmost wins; at the same start the longer match wins.
        m = min(candidates, key=lambda c: (c.start(), -c.end()))
        built = _build(text, m)
        if built is None:
            pos = m.start() + 1  # rejected: let a later, shorter reading have its chance
            continue
        found.extend(built)
        pos = m.end()


def parse_money(text: str) -> MoneyMatch | None:
    """The amount in a short string such as "$1.2bn" (the first, if several), or None."""
    matches = find_money(text)
    return matches[0] if matches else None
