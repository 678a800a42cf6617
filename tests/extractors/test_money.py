import dataclasses

import pytest

from extractors.money import VERSION, MoneyMatch, find_money, parse_money

B, M, T = 1e9, 1e6, 1e12

# (input, value, currency, qualifier, expected match text)
SINGLE = [
    ("$1.2bn", 1.2 * B, "USD", None, "$1.2bn"),
    ("$1.2 bn", 1.2 * B, "USD", None, "$1.2 bn"),
    ("€500m", 500 * M, "EUR", None, "€500m"),
    ("€500 million", 500 * M, "EUR", None, "€500 million"),
    ("1.5 billion euros", 1.5 * B, "EUR", None, "1.5 billion euros"),
    ("$2B", 2 * B, "USD", None, "$2B"),
    ("$2b", 2 * B, "USD", None, "$2b"),
    ("US$300 million", 300 * M, "USD", None, "US$300 million"),
    ("for US$300 million", 300 * M, "USD", None, "US$300 million"),
    ("USD 300 million", 300 * M, "USD", None, "USD 300 million"),
    ("$300mn", 300 * M, "USD", None, "$300mn"),
    ("£40m", 40 * M, "GBP", None, "£40m"),
    ("£1.25 billion", 1.25 * B, "GBP", None, "£1.25 billion"),
    ("¥10 billion", 10 * B, "JPY", None, "¥10 billion"),
    ("10 billion yen", 10 * B, "JPY", None, "10 billion yen"),
    ("Rs 2,000 crore", 2e10, "INR", None, "Rs 2,000 crore"),
    ("₹500 crore", 5e9, "INR", None, "₹500 crore"),
    ("Rs 50 lakh", 5e6, "INR", None, "Rs 50 lakh"),
    ("Rs. 1 lakh crore", 1 * T, "INR", None, "Rs. 1 lakh crore"),
    ("1,000 crore rupees", 1e10, "INR", None, "1,000 crore rupees"),
    ("$1.1 trillion", 1.1 * T, "USD", None, "$1.1 trillion"),
    ("$500,000", 5e5, "USD", None, "$500,000"),
    ("$1,234,567.89", 1234567.89, "USD", None, "$1,234,567.89"),
    ("$5 million", 5 * M, "USD", None, "$5 million"),
    ("$5-million", 5 * M, "USD", None, "$5-million"),
    ("$5.5M", 5.5 * M, "USD", None, "$5.5M"),
    ("$250k", 250e3, "USD", None, "$250k"),
    ("C$100 million", 100 * M, "CAD", None, "C$100 million"),
    ("A$50 million", 50 * M, "AUD", None, "A$50 million"),
    ("S$10 million", 10 * M, "SGD", None, "S$10 million"),
    ("HK$1 billion", 1 * B, "HKD", None, "HK$1 billion"),
    ("CHF 200 million", 200 * M, "CHF", None, "CHF 200 million"),
    ("200 million Swiss francs", 200 * M, "CHF", None, "200 million Swiss francs"),
    ("SEK 1 billion", 1 * B, "SEK", None, "SEK 1 billion"),
    ("1 billion kronor", 1 * B, "SEK", None, "1 billion kronor"),
    ("3 billion Norwegian kroner", 3 * B, "NOK", None, "3 billion Norwegian kroner"),
    ("won 100 billion", 100 * B, "KRW", None, "won 100 billion"),
    ("100 billion won", 100 * B, "KRW", None, "100 billion won"),
    ("₩3 trillion", 3 * T, "KRW", None, "₩3 trillion"),
    ("RMB 1 billion", 1 * B, "CNY", None, "RMB 1 billion"),
    ("1 billion yuan", 1 * B, "CNY", None, "1 billion yuan"),
    ("EUR1.5bn", 1.5 * B, "EUR", None, "EUR1.5bn"),
    ("300 million USD", 300 * M, "USD", None, "300 million USD"),
    ("AED 2 billion", 2 * B, "AED", None, "AED 2 billion"),
    ("$40 billion-plus", 40 * B, "USD", "plus", "$40 billion"),
    ("$500M-plus", 500 * M, "USD", "plus", "$500M"),
    ("$10bn+", 10 * B, "USD", "plus", "$10bn"),
    ("up to $1 billion", 1 * B, "USD", "up_to", "$1 billion"),
    ("as much as €2bn", 2 * B, "EUR", "up_to", "€2bn"),
    ("no more than $5m", 5 * M, "USD", "up_to", "$5m"),
    ("more than $250 million", 250 * M, "USD", "more_than", "$250 million"),
    ("over $250 million", 250 * M, "USD", "more_than", "$250 million"),
    ("in excess of £1bn", 1 * B, "GBP", "more_than", "£1bn"),
    ("nearly $1 billion", 1 * B, "USD", "about", "$1 billion"),
    ("roughly $2 billion", 2 * B, "USD", "about", "$2 billion"),
    ("an estimated $3bn", 3 * B, "USD", "about", "$3bn"),
    ("~$5m", 5 * M, "USD", "about", "$5m"),
    ("at least $100 million", 100 * M, "USD", "at_least", "$100 million"),
    ("less than $50 million", 50 * M, "USD", "less_than", "$50 million"),
    ("just under $1bn", 1 * B, "USD", "less_than", "$1bn"),
    ("half a billion dollars", 0.5 * B, "USD", None, "half a billion dollars"),
    ("a billion dollars", 1 * B, "USD", None, "a billion dollars"),
    ("a half billion dollars", 0.5 * B, "USD", None, "a half billion dollars"),
    ("two million euros", 2 * M, "EUR", None, "two million euros"),
    ("$1 billion-dollar", 1 * B, "USD", None, "$1 billion"),
    ("5 million dollars", 5 * M, "USD", None, "5 million dollars"),
    ("500 million U.S. dollars", 500 * M, "USD", None, "500 million U.S. dollars"),
    ("20 million Canadian dollars", 20 * M, "CAD", None, "20 million Canadian dollars"),
    ("£300m sterling", 300 * M, "GBP", None, "£300m"),
    ("50 million pounds", 50 * M, "GBP", None, "50 million pounds"),
    ("a $1.1 billion Series C", 1.1 * B, "USD", None, "$1.1 billion"),
    ("$2.3bn debt facility", 2.3 * B, "USD", None, "$2.3bn"),
    ("($30 million)", 30 * M, "USD", None, "$30 million"),
    ("RAISES$5M", 5 * M, "USD", None, "$5M"),
    ("$ 5 million", 5 * M, "USD", None, "$ 5 million"),
    ("$5\u00a0million", 5 * M, "USD", None, "$5\u00a0million"),
]


@pytest.mark.parametrize(("text", "value", "currency", "qualifier", "span"), SINGLE)
def test_parse_money(text, value, currency, qualifier, span):
    m = parse_money(text)
    assert m is not None
    assert (m.value, m.currency, m.qualifier, m.text) == (value, currency, qualifier, span)
    assert text[m.start:m.end] == m.text


@pytest.mark.parametrize(("text", "value", "currency", "qualifier", "span"), SINGLE)
def test_find_money_single(text, value, currency, qualifier, span):
    matches = find_money(f"The company said {text} on Tuesday.")
    assert [(m.value, m.currency, m.qualifier, m.text) for m in matches] == [
        (value, currency, qualifier, span)
    ]


# (input, [(value, currency, qualifier, text), ...])
MULTI = [
    ("$100 million to $150 million",
     [(100 * M, "USD", None, "$100 million"), (150 * M, "USD", None, "$150 million")]),
    ("$100 million-$150 million",
     [(100 * M, "USD", None, "$100 million"), (150 * M, "USD", None, "$150 million")]),
    ("$1-2 billion", [(1 * B, "USD", None, "$1"), (2 * B, "USD", None, "2 billion")]),
    ("up to $1 to $2 billion",
     [(1 * B, "USD", "up_to", "$1"), (2 * B, "USD", None, "$2 billion")]),
    ("1.5-2 billion euros", [(1.5 * B, "EUR", None, "1.5"), (2 * B, "EUR", None, "2 billion euros")]),
    ("1.5 billion euros ($1.6 billion)",
     [(1.5 * B, "EUR", None, "1.5 billion euros"), (1.6 * B, "USD", None, "$1.6 billion")]),
    ("won 10 billion yen", [(10 * B, "JPY", None, "10 billion yen")]),
    ("won 100 billion in funding", [(100 * B, "KRW", None, "won 100 billion")]),
]


@pytest.mark.parametrize(("text", "expected"), MULTI)
def test_find_money_multi(text, expected):
    matches = find_money(text)
    assert [(m.value, m.currency, m.qualifier, m.text) for m in matches] == expected
    assert all(text[m.start:m.end] == m.text for m in matches)


NEGATIVE = [
    "1-gigawatt",
    "265%",
    "108,000 LPUs",
    "2023",
    "H100",
    "$",
    "costs $ and more",
    "Series B",
    "10 GW",
    "500 MW",
    "Call 1-800-555-0199 or +1 (415) 555-0100",
    "raised 500 million",
    "5 million users",
    "won 3 awards",
    "won 100 million users",
    "in 2023 won the contract",
    "weighs 5 pounds",
    "a billion-dollar deal",
    "usd 300 million",  # lower-case ISO codes are not trusted
    "€1,5 billion",  # European decimal comma: unsupported, better silent than wrong
    "",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_not_money(text):
    assert find_money(text) == []
    assert parse_money(text) is None


def test_realistic_paragraph_offsets():
    text = (
        "Nvidia-backed CoreWeave signed a $11.9 billion contract with OpenAI, and said it could "
        "spend up to $23 billion on 500 MW of capacity in 2025. Separately, Reliance will invest "
        "Rs 75,000 crore (about US$9 billion) in a 1-gigawatt campus, while Mistral raised "
        "€600m in a Series B. Analysts expect a $40 billion-plus market, roughly 265% growth, and "
        "SoftBank has pledged more than ¥1 trillion alongside 100 billion won from Samsung."
    )
    matches = find_money(text)
    assert [(m.text, m.value, m.currency, m.qualifier) for m in matches] == [
        ("$11.9 billion", 11.9 * B, "USD", None),
        ("$23 billion", 23 * B, "USD", "up_to"),
        ("Rs 75,000 crore", 7.5e11, "INR", None),
        ("US$9 billion", 9 * B, "USD", "about"),
        ("€600m", 600 * M, "EUR", None),
        ("$40 billion", 40 * B, "USD", "plus"),
        ("¥1 trillion", 1 * T, "JPY", "more_than"),
        ("100 billion won", 100 * B, "KRW", None),
    ]
    for m in matches:
        assert text[m.start:m.end] == m.text
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:]))


def test_parse_money_returns_first_amount_with_relative_offsets():
    m = parse_money("  $5m and $6m")
    assert m == MoneyMatch(2, 5, "$5m", 5e6, "USD", None)


def test_match_is_frozen_and_version():
    m = parse_money("$1bn")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.value = 2.0  # type: ignore[misc]
    assert VERSION == "money.v1"
