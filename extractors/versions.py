"""Extractor versions. A changed rule in a component is a new version of it here; every article's
extraction is stored with the composite, and `dealwire reprocess --stale` finds the older ones.
Apart from the components so that a run can record the version without importing spaCy."""

COMPANIES = "companies.v3"
MONEY = "money.v1"
DEALS = "deals.v5"
SENTENCE_TYPES = "types.v1"     # the trained sentence classifier: a new version each time `make train` changes it

VERSION = "+".join((COMPANIES, MONEY, DEALS, SENTENCE_TYPES))
