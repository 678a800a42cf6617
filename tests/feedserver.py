"""A real HTTP server on 127.0.0.1 for tests, with a route table filled by the test.

    def test_x(feed_server):
        feed_server.route("/feed.xml", body=b"<rss/>", etag='"v1"')
        fetch_feed(feed_server.url("/feed.xml"), policy=FetchPolicy(allow_private=True))
        assert feed_server.hits["/feed.xml"] == 1

Import the fixture with ``from tests.feedserver import feed_server  # noqa: F401``.
"""

from __future__ import annotations

import gzip as gzip_mod
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0  # sleep before sending anything
    drip: tuple[int, float] | None = None  # (chunk_bytes, seconds between chunks)
    gzip: bool = False  # gzip-compress body, send Content-Encoding: gzip
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # full control


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.requests.append((path, dict(self.headers)))
            self.server.arrivals.append((path, time.monotonic()))
            route = self.server.routes.get(path)
        if route is None:
            return self._send(404, b"not found", {})
        if route.delay_s:
            time.sleep(route.delay_s)
        if route.handler is not None:
            return route.handler(self)
        validators = {k: v for k, v in (("ETag", route.etag), ("Last-Modified", route.last_modified)) if v}
        if self._not_modified(route):
            return self._send(304, b"", validators)
        body, headers = route.body, {**validators, **route.headers}
        if route.gzip:
            body, headers["Content-Encoding"] = gzip_mod.compress(body), "gzip"
        self._send(route.status, body, headers, route.drip)

    def _not_modified(self, route: Route) -> bool:
        inm = self.headers.get("If-None-Match")
        if route.etag and inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110)
            return route.etag in [t.strip() for t in inm.split(",")]
        ims = self.headers.get("If-Modified-Since")
        return bool(route.last_modified and ims == route.last_modified)

    def _send(self, status: int, body: bytes, headers: dict[str, str], drip=None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/rss+xml", **headers}
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304 and "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not drip:
            self.wfile.write(body)
            return
        size, interval = drip
        for i in range(0, len(body), size):
            self.wfile.write(body[i:i + size])
            self.wfile.flush()
            time.sleep(interval)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-body (caps, timeouts) are expected in these tests


class FeedServer:
    def __init__(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.routes = {}
        self._httpd.hits = Counter()
        self._httpd.requests = []
        self._httpd.arrivals = []
        self._httpd.lock = threading.Lock()
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def hits(self) -> Counter:
        """Requests per path (including unknown paths)."""
        return self._httpd.hits

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(path, request headers) in arrival order."""
        return self._httpd.requests

    @property
    def arrivals(self) -> list[tuple[str, float]]:
        """(path, time.monotonic() when the request arrived) in arrival order."""
        return self._httpd.arrivals

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: bytes = b"", status: int = 200, headers: dict[str, str] | None = None,
              etag: str | None = None, last_modified: str | None = None, delay_s: float = 0,
              drip: tuple[int, float] | None = None, gzip: bool = False,
              handler: Callable[[BaseHTTPRequestHandler], None] | None = None) -> str:
        """Register a route; returns its full URL."""
        self._httpd.routes[path] = Route(body, status, dict(headers or {}), etag, last_modified,
                                         delay_s, drip, gzip, handler)
        return self.url(path)

    # -- canned routes -------------------------------------------------------
    def redirect(self, path: str, to: str, status: int = 301) -> str:
        """Redirect ``path`` to ``to`` (a path or absolute URL); two calls pointing at each other make a loop."""
        return self.route(path, status=status, headers={"Location": to})

    def retry_after(self, path: str, seconds: int = 7, status: int = 429) -> str:
        return self.route(path, body=b"slow down", status=status, headers={"Retry-After": str(seconds)})

    def reset_mid_body(self, path: str, body: bytes = b"<rss>" + b"x" * 1000) -> str:
        """Promise len(body) bytes, send half, then abort the connection with a TCP RST."""
        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            # SO_LINGER with zero timeout turns close() into an RST instead of a FIN.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
        return self.route(path, handler=handler)

    def gzip_bomb(self, path: str, decompressed_size: int = 64 * 1024 * 1024) -> str:
        """A small gzip body (~1/1000 of its size) of zeros that decompresses to ``decompressed_size``."""
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block, parts = b"\0" * (1024 * 1024), []
        for start in range(0, decompressed_size, len(block)):  # built in 1 MiB steps: low memory
            parts.append(comp.compress(block[: decompressed_size - start]))
        parts.append(comp.flush())
        return self.route(path, body=b"".join(parts), headers={"Content-Encoding": "gzip"})

    def html(self, path: str, body: bytes, **kwargs) -> str:
        """An HTML page (Content-Type text/html)."""
        headers = {"Content-Type": "text/html; charset=utf-8", **kwargs.pop("headers", {})}
        return self.route(path, body=body, headers=headers, **kwargs)

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def feed_server():
    server = FeedServer()
    try:
        yield server
    finally:
        server.shutdown()
