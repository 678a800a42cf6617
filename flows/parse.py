"""Feed bytes -> article records. Pure: no network, no database."""
from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from selectolax.lexbor import LexborHTMLParser

from extractors.records import Article
from flows.errors import FeedError

# feedparser neutralises billion-laughs and external entities, but not a document that repeats an
# ordinary internal entity thousands of times (62 kB -> 200 MB). Feeds have no business declaring any.
# feedparser also reads UTF-16, UTF-32 and EBCDIC documents, so look for the declaration in those too.
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_DECL_WIDE = [b"<!ENTITY".decode().encode(codec) for codec in ("utf-16-le", "utf-32-le", "cp037")]
# feedparser turns &#NNN; into chr(NNN) and crashes on a surrogate or a code point past U+10FFFF.
_CHAR_REF = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{1,16})|0*([0-9]{1,24}));")
# Text beyond this is cut at a paragraph: no news article is this long, spaCy refuses texts over
# 1,000,000 characters, and its parser and NER need about 1 GB per 100,000 characters.
MAX_ARTICLE_CHARS = 100_000
_TRACKING_PARAMS = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|cmpid)$", re.IGNORECASE)
_BLOCK_TAGS = "p|div|li|h[1-6]|blockquote|pre|tr|table|ul|ol|section|article|header|footer|figure|figcaption|dd|dt"
_BLOCK_OPEN = re.compile(rf"<(?:{_BLOCK_TAGS})\b", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(rf"</(?:{_BLOCK_TAGS})\s*>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# C0 and C1 controls (but tab and newlines), soft hyphens and zero-width spaces (they split names),
# bidi overrides, stray byte-order marks, non-characters and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u200b\u202a-\u202e\u2060\u2066-\u2069"
                      "\ufeff\ufffe\uffff\ud800-\udfff]")
# UTF-8 read as Windows-1252 ("CafÃ©", "â€œ"): a lead byte of a multi-byte sequence, then a continuation byte.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                       "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
# Complaints about the declared encoding or media type, not about the document's structure.
_ENCODING_WARNINGS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_DROP = "script, style, noscript, iframe, object, embed, svg, template, form, button"


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    articles: list[Article]
    warning: str | None    # feedparser's complaint about a feed it could still read
    entries: int
    text_sources: dict[str, str] = field(default_factory=dict)  # article_id -> feed_content | feed_summary


def parse_feed(content: bytes, *, feed_url: str, base_url: str | None = None,
               headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes into articles; raise FeedError when the bytes are not a usable feed."""
    if _ENTITY_DECL.search(content) or any(pattern in content for pattern in _ENTITY_DECL_WIDE):
        raise FeedError(feed_url, "refused: the document declares XML entities")
    content = _CHAR_REF.sub(_safe_char_ref, content)
    # Headers only for HTTP responses: given any, feedparser flags a missing Content-Type as bozo,
    # which a local file never has. Links are resolved against base_url below either way.
    response_headers = dict(headers or {})
    if base_url and response_headers:
        response_headers.setdefault("content-location", base_url)
    try:
        parsed = feedparser.parse(content, response_headers=response_headers, sanitize_html=True,
                                  resolve_relative_uris=True)
    except Exception as exc:  # a parser bug on one hostile document must not look like ours
        raise FeedError(feed_url, f"unreadable feed: the parser failed ({type(exc).__name__}: {exc})"[:300]) from exc
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(feed_url, f"unreadable feed: not an RSS or Atom feed ({_what_it_is(content, parsed)})")
    if not parsed.entries and parsed.bozo and not isinstance(parsed.get("bozo_exception"), _ENCODING_WARNINGS):
        # Broken XML and no entries: an empty feed cannot be told from one cut short, so say so.
        raise FeedError(feed_url, f"unreadable feed: {_bozo_reason(parsed)}")
    articles: list[Article] = []
    sources: dict[str, str] = {}
    cut: list[Article] = []
    for entry in parsed.entries:
        article, was_cut, source = _article(entry, feed_url, base_url)
        if article is not None and article.article_id not in sources:
            sources[article.article_id] = source
            articles.append(article)
            cut += [article] if was_cut else []
    warnings = [_bozo_reason(parsed)] if parsed.bozo else []
    if cut:
        warnings.append(f"{len(cut)} article(s) cut to {MAX_ARTICLE_CHARS} characters: {cut[0].url or cut[0].title}")
    warning = "; ".join(warnings)[:500] or None
    title = _clean_line(parsed.feed.get("title")) or None
    return ParsedFeed(title=title, articles=articles, warning=warning, entries=len(parsed.entries),
                      text_sources=sources)


def _safe_char_ref(match: re.Match) -> bytes:
    hex_digits, digits = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(digits)
    ok = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
    return match.group(0) if ok else b"&#xFFFD;"


def _what_it_is(content: bytes, parsed) -> str:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "empty document"
    if head[:1] in (b"{", b"["):
        return "looks like JSON"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "looks like an HTML page"
    return _bozo_reason(parsed) if parsed.bozo else "no <rss>, <feed> or <rdf:RDF> root"


def _bozo_reason(parsed) -> str:
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}"[:300] if exc else "malformed feed"


def _article(entry, feed_url: str, base_url: str | None) -> tuple[Article | None, bool, str]:
    """The entry as an article (None when it has neither title nor text), whether its text was cut, and
    where the text came from (feed_content or feed_summary)."""
    link = entry.get("link") or ""
    if link and base_url:
        link = urljoin(base_url, link)
    url = canonical_url(link) if link.startswith(("http://", "https://")) else None
    guid = (entry.get("id") or "").strip() or None
    title = _clean_line(entry.get("title"))
    body, source = _best_body(entry)
    full = html_to_text(body)
    text = _cap(full)
    if not text and not title:
        return None, False, source
    key = url or (f"guid:{guid}" if guid else f"entry:{feed_url}\x1f{title}\x1f{entry.get('published', '')}")
    article = Article(
        article_id=hashlib.sha1(key.encode()).hexdigest()[:16],
        feed_url=feed_url,
        url=url,  # http(s) only: never a javascript:, data: or file: link
        guid=guid,
        title=title,
        author=_clean_line(entry.get("author")) or None,
        published_at=_published(entry),
        content_hash=hashlib.sha1(f"{title}\n{text}".encode()).hexdigest(),
        text=text or title,
    )
    return article, len(text) < len(full), source


def page_text(text: str) -> str:
    """An article page's extracted main text (lines for paragraphs) as stored: blank lines between
    paragraphs, cleaned and capped like a feed's text."""
    return _cap(_normalise(text.replace("\n", "\n\n")))


def _cap(text: str) -> str:
    """Cut an over-long text at the last paragraph (else space) before MAX_ARTICLE_CHARS, marked with '…'."""
    if len(text) <= MAX_ARTICLE_CHARS:
        return text
    head = text[: MAX_ARTICLE_CHARS - 2]
    cut = head.rfind("\n\n")
    if cut < MAX_ARTICLE_CHARS // 2:
        cut = head.rfind(" ")
    return head[: cut if cut > 0 else len(head)].rstrip() + " …"


def _best_body(entry) -> tuple[str, str]:
    """The full content (content:encoded, Atom content) in preference to the summary, and which it was."""
    bodies = [c.get("value") or "" for c in entry.get("content") or []]
    bodies = [b for b in bodies if b.strip()]
    if bodies:
        return max(bodies, key=len), "feed_content"
    return entry.get("summary") or entry.get("description") or "", "feed_summary"


def _published(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAMS.match(k)])
    path = parts.path.rstrip("/") or ""
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and parts.scheme == "http" or netloc.endswith(":443") and parts.scheme == "https":
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def html_to_text(html: str) -> str:
    """Plain text with paragraphs kept (blank line between blocks); scripts and styles dropped."""
    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return _normalise(html)
    marked = _LIST_ITEM.sub(lambda m: "\n\n" + m.group(0) + "- ", html)
    marked = _BLOCK_CLOSE.sub(lambda m: m.group(0) + "\n\n", _BLOCK_OPEN.sub(lambda m: "\n\n" + m.group(0), marked))
    marked = _BREAK.sub("\n", marked)
    tree = LexborHTMLParser(marked)
    for node in tree.css(_DROP):
        node.decompose()
    root = tree.body or tree.root
    return _normalise(root.text(separator="") if root is not None else "")


def _normalise(text: str) -> str:
    text = _CONTROL.sub("", _repair_mojibake(text)).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block and block != "-":
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Windows-1252, when the whole text round-trips cleanly."""
    if not _MOJIBAKE.search(text):
        return text
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return text  # not something cp1252 produced: genuine text
            raw.append(ord(char))  # 0x81, 0x8d, 0x8f, 0x90, 0x9d pass through as C1 controls
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # mixed or genuine text ("SÃO PAULO"): leave it alone
        return text


def _clean_line(value) -> str:
    text = html_to_text(value) if value and "<" in value else _repair_mojibake(value or "")
    return " ".join(_CONTROL.sub("", text).split())
