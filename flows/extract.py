"""The spaCy pipeline, loaded once per process, over batches of articles."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from extractors.records import Article, Extraction
from flows.config import Settings


@lru_cache(maxsize=2)
def pipeline(model: str | None):
    from extractors.pipeline import load_pipeline

    return load_pipeline(model)


def extract_articles(articles: Sequence[Article], settings: Settings) -> tuple[list[Extraction], str]:
    """Extractions for the articles, in order, and the extractor version that made them."""
    from extractors.pipeline import VERSION, extraction_from_doc

    nlp = pipeline(settings.spacy_model)
    docs = nlp.pipe((a.text for a in articles), batch_size=64, n_process=settings.n_process)
    return [extraction_from_doc(doc) for doc in docs], VERSION
