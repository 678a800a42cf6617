"""Text in, records out: the spaCy pipeline and its components. No I/O beyond reading seeds/.

`load_pipeline` is imported lazily so that `extractors.records` (used by storage) never pulls in spaCy.
"""

__all__ = ["VERSION", "extraction_from_doc", "load_pipeline"]


def __getattr__(name: str):
    if name == "VERSION":
        from extractors.versions import VERSION

        return VERSION
    if name in __all__:
        from extractors import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
