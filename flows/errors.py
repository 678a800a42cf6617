"""Exception hierarchy for dealwire.

Every error carries a user-facing ``message`` (the CLI prints "Error: <message>").
Prefect persists task exceptions by pickling them, and the default
``BaseException`` pickling replays ``self.args`` into ``__init__`` -- which breaks
as soon as ``__init__`` takes different arguments from ``args``. So each class
says how to rebuild itself via ``_init_args`` and ``__reduce__`` uses that.
"""

from __future__ import annotations

from typing import Any


class DealwireError(Exception):
    """Base: message is user-facing ("Error: <message>")."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def _init_args(self) -> tuple[Any, ...]:
        return (self.message,)

    def __reduce__(self):
        # The __dict__ copy also restores attributes set after construction.
        return (type(self), self._init_args(), self.__dict__.copy())

    def __str__(self) -> str:
        return self.message


class UsageError(DealwireError):
    """Bad CLI usage -> exit code 2."""


class FeedError(DealwireError):
    """A feed could not be fetched or read.

    ``transient`` tells the caller (Prefect) whether a retry may help;
    ``status`` is 'failed' or 'refused'; ``retry_after`` is the server's
    Retry-After in seconds when it sent one (429/503); ``http_status`` the
    status of an error response.
    """

    def __init__(
        self,
        feed_url: str,
        reason: str,
        transient: bool = False,
        status: str = "failed",
        retry_after: float | None = None,
        http_status: int | None = None,
    ):
        super().__init__(f"feed {feed_url}: {reason}")
        self.feed_url = feed_url
        self.reason = reason
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        self.http_status = http_status   # the response's status when the server answered 4xx/5xx

    def _init_args(self) -> tuple[Any, ...]:
        return (self.feed_url, self.reason, self.transient, self.status, self.retry_after, self.http_status)


class FeedRefused(FeedError):
    """A URL we will not fetch (private address, bad scheme). Never transient."""

    def __init__(self, feed_url: str, reason: str):
        super().__init__(feed_url, reason, transient=False, status="refused")

    def _init_args(self) -> tuple[Any, ...]:
        return (self.feed_url, self.reason)


class ArticleError(DealwireError):
    def __init__(self, article: str, reason: str):
        super().__init__(f"article {article}: {reason}")
        self.article = article
        self.reason = reason

    def _init_args(self) -> tuple[Any, ...]:
        return (self.article, self.reason)


class ArticleNotFound(ArticleError):
    """No stored article has this id or URL."""

    def __init__(self, article: str):
        super().__init__(article, "not in the database (give an article_id or URL from the articles table)")

    def _init_args(self) -> tuple[Any, ...]:
        return (self.article,)
