"""Fetch one feed (URL or local file) safely: SSRF checks, size/time caps, conditional GET.

No retries here: failures raise FeedError(transient=...) and the caller (Prefect) decides.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
import socket
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from flows.errors import FeedError, FeedRefused


FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 20.0  # connect/read timeout
    total_timeout_s: float = 60.0  # wall-clock cap on one fetch incl. slow-drip bodies
    max_bytes: int = 50 * 1024 * 1024  # cap on the (decompressed) body
    max_redirects: int = 5
    allow_private: bool = False  # allow loopback/private/link-local/metadata addresses
    user_agent: str = "dealwire/0.1 (+https://github.com/dealwire/dealwire)"
    accept: str = FEED_ACCEPT  # article pages ask for HTML instead


@dataclass(frozen=True)
class FetchResult:
    feed_url: str  # as given
    final_url: str  # after redirects; for a file, the file:// URI of its absolute path
    status_code: int  # 200, 304; 0 for local files
    content: bytes  # b"" on 304
    headers: dict[str, str]  # lower-case names, as feedparser wants them
    etag: str | None
    last_modified: str | None
    not_modified: bool


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCHEME_ONLY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # javascript:, data:, mailto: (not C:\\)
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_REDIRECTS = {301, 302, 303, 307, 308}
_WBITS = {"": None, "identity": None, "gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
          "deflate": zlib.MAX_WBITS}


def is_url(source: str) -> bool:
    """True for 'scheme://...' strings (any scheme); everything else is a local path."""
    return bool(_SCHEME_RE.match(source))


def _address_problem(addr: str) -> str | None:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])  # drop IPv6 zone id (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    if ip in _METADATA:
        return "cloud metadata"
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # e.g. 100.64.0.0/10 carrier-grade NAT
        return "non-global"
    return None


def check_host_allowed(host: str, policy: FetchPolicy = FetchPolicy(), *,
                       port: int = 80, feed_url: str | None = None) -> None:
    """Resolve ``host`` and raise FeedRefused if any address is non-public.

    IP literals resolve without any network traffic. Known gap: DNS rebinding
    (the name resolving differently when httpx connects a moment later) is not
    defended against; pinning the address would need a custom transport.
    """
    feed_url = feed_url or host
    if policy.allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        transient = getattr(exc, "errno", None) == socket.EAI_AGAIN
        raise FeedError(feed_url, f"cannot resolve host {host!r}: {exc}", transient=transient) from exc
    for addr in (info[4][0] for info in infos):
        if problem := _address_problem(addr):
            raise FeedRefused(feed_url, f"host {host!r} resolves to {problem} address {addr}")


def local_path(source: str) -> Path | None:
    """The file a feed source names when it is a path (not a URL, nor 'javascript:...'); else None."""
    if is_url(source) or (_SCHEME_ONLY_RE.match(source) and not Path(source).expanduser().exists()):
        return None
    return Path(source).expanduser()


def fetch_feed(source: str, *, etag: str | None = None, last_modified: str | None = None,
               policy: FetchPolicy = FetchPolicy(), client: httpx.Client | None = None) -> FetchResult:
    if not is_url(source):
        if (path := local_path(source)) is None:
            scheme = _SCHEME_ONLY_RE.match(source).group(1).lower()
            raise FeedRefused(source, f"unsupported URL scheme {scheme!r}")
        return _read_file(source, path, policy)
    if source.split(":", 1)[0].lower() == "file":
        parts = urlsplit(source)
        if parts.netloc not in ("", "localhost"):
            raise FeedRefused(source, f"file URL on remote host {parts.netloc!r}")
        return _read_file(source, Path(url2pathname(unquote(parts.path))), policy)
    # trust_env=False: an env proxy would make our address check meaningless.
    # (A caller-supplied client is used as is; don't give it a proxy.)
    own = httpx.Client(trust_env=False, follow_redirects=False) if client is None else None
    try:
        with _map_errors(source, policy):
            return _fetch_http(source, client or own, etag, last_modified, policy)
    finally:
        if own is not None:
            own.close()


def _read_file(source: str, path: Path, policy: FetchPolicy) -> FetchResult:
    try:
        with path.open("rb") as fh:
            content = fh.read(policy.max_bytes + 1)
    except (OSError, ValueError) as exc:  # ValueError: NUL byte in the path
        why = {FileNotFoundError: "no such file", IsADirectoryError: "is a directory, not a feed file",
               PermissionError: "permission denied"}.get(type(exc), f"cannot read ({exc})")
        raise FeedError(source, f"{why}: {path}") from None
    if len(content) > policy.max_bytes:
        raise FeedError(source, f"file larger than {policy.max_bytes} bytes: {path}")
    return FetchResult(source, path.resolve().as_uri(), 0, content, {}, None, None, False)


def _check_url(feed_url: str, url: httpx.URL, policy: FetchPolicy) -> None:
    if url.scheme not in ("http", "https"):
        raise FeedRefused(feed_url, f"unsupported URL scheme {url.scheme!r} in {url}")
    if not url.raw_host:
        raise FeedError(feed_url, f"URL has no host: {url}")
    # Check the host exactly as httpx parsed it: that is what it will connect to.
    port = url.port or (443 if url.scheme == "https" else 80)
    check_host_allowed(url.raw_host.decode("ascii"), policy, port=port, feed_url=feed_url)


def _fetch_http(feed_url, client, etag, last_modified, policy) -> FetchResult:
    deadline = time.monotonic() + policy.total_timeout_s
    # Accept-Encoding: only what _read_body inflates itself (no br/zstd).
    headers = {"User-Agent": policy.user_agent, "Accept": policy.accept, "Accept-Encoding": "gzip, deflate"}
    headers |= {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    url = httpx.URL(feed_url)
    seen: set[str] = set()
    for _hop in range(policy.max_redirects + 1):
        _check_url(feed_url, url, policy)
        seen.add(str(url))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FeedError(feed_url, f"timed out after {policy.total_timeout_s:g}s total", transient=True)
        timeout = httpx.Timeout(min(policy.timeout_s, remaining))
        with client.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as resp:
            if resp.status_code in _REDIRECTS and "location" in resp.headers:
                url = resp.url.join(resp.headers["location"])
                if str(url) in seen:
                    raise FeedError(feed_url, f"redirect loop at {url}")
                continue
            return _handle_response(feed_url, resp, etag, last_modified, policy, deadline)
    raise FeedError(feed_url, f"too many redirects (more than {policy.max_redirects})")


def _handle_response(feed_url, resp: httpx.Response, etag, last_modified, policy, deadline) -> FetchResult:
    status = resp.status_code
    if status >= 400:
        retry_after = _parse_retry_after(resp.headers.get("retry-after")) if status in (429, 503) else None
        reason = f"HTTP {status} {resp.reason_phrase}".rstrip()
        reason += f" (Retry-After {retry_after:g}s)" if retry_after is not None else ""
        raise FeedError(feed_url, reason, transient=status == 429 or status >= 500, retry_after=retry_after,
                        http_status=status)
    if status != 304 and not 200 <= status < 300:
        raise FeedError(feed_url, f"unexpected HTTP {status} {resp.reason_phrase}")
    content = b"" if status == 304 else _read_body(feed_url, resp, policy, deadline)
    # A 304 may omit the validators; the ones we sent are still current then.
    new_etag = resp.headers.get("etag") or (etag if status == 304 else None)
    new_lm = resp.headers.get("last-modified") or (last_modified if status == 304 else None)
    # The body is decoded, so the wire-level headers no longer describe it.
    headers = {k.lower(): v for k, v in resp.headers.items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")}
    headers.setdefault("content-location", str(resp.url))  # feedparser's base for relative links
    return FetchResult(feed_url, str(resp.url), status, content, headers, new_etag, new_lm, status == 304)


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP-date."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _read_body(feed_url: str, resp: httpx.Response, policy: FetchPolicy, deadline: float) -> bytes:
    too_big = f"body larger than {policy.max_bytes} bytes"
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and "content-encoding" not in resp.headers and int(declared) > policy.max_bytes:
        raise FeedError(feed_url, f"{too_big} (Content-Length {declared})")
    # We inflate ourselves (iter_raw) because httpx inflates each network chunk in
    # one go: a 64 KiB gzip-bomb chunk becomes ~64 MiB before it could be counted.
    # zlib's max_length caps the output of every call instead.
    enc = resp.headers.get("content-encoding", "").strip().lower()
    if enc not in _WBITS:
        raise FeedError(feed_url, f"unsupported Content-Encoding {enc!r}")
    z = zlib.decompressobj(_WBITS[enc]) if _WBITS[enc] else None
    body = bytearray()
    for raw in resp.iter_raw():
        limit = policy.max_bytes - len(body) + 1  # producing this much proves the cap is exceeded
        try:
            body += z.decompress(raw, limit) if z else raw
        except zlib.error:
            if enc != "deflate" or body:
                raise
            z = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" is meant zlib-wrapped; some send raw
            body += z.decompress(raw, limit)
        if len(body) > policy.max_bytes:
            raise FeedError(feed_url, f"{too_big} (decompressed)")
        if time.monotonic() > deadline:  # slow drip: each read is quick, the total is not
            raise FeedError(feed_url, f"timed out after {policy.total_timeout_s:g}s total while reading body",
                            transient=True)
    if z is not None:
        body += z.flush()  # small: all input was consumed below the cap
    if len(body) > policy.max_bytes:
        raise FeedError(feed_url, f"{too_big} (decompressed)")
    return bytes(body)


@contextmanager
def _map_errors(feed_url: str, policy: FetchPolicy):
    """Turn every httpx/OS/zlib failure into a FeedError naming the feed."""
    try:
        yield
    except FeedError:
        raise
    except httpx.TimeoutException as exc:
        raise FeedError(feed_url, f"timed out after {policy.timeout_s:g}s ({type(exc).__name__})",
                        transient=True) from exc
    except httpx.ConnectError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else f"cannot connect: {exc}"
        raise FeedError(feed_url, reason, transient=True) from exc
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
        # RemoteProtocolError: the peer closed before the promised body was complete.
        raise FeedError(feed_url, f"connection reset ({exc})", transient=True) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FeedRefused(feed_url, f"invalid URL: {exc}") from exc
    except zlib.error as exc:
        raise FeedError(feed_url, f"corrupt compressed body: {exc}") from exc
    except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
        raise FeedError(feed_url, f"{type(exc).__name__}: {exc}", transient=True) from exc
