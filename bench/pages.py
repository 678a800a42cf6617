"""Articles whose feeds carry only a summary, their pages served from a threaded HTTP server on 127.0.0.1."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.corpus import Article

# A busy host of our own: no wait between requests, four at once (the defaults, 1 s and 2, would time
# the rate limit instead of the pipeline).
CONFIG = """[settings]
fetch_pages = "when_short"
page_interval_s = 0.0
page_host_concurrency = 4
page_workers = 4
"""


def page_html(a: Article) -> bytes:
    body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in a.paragraphs)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(a.title)}</title></head><body>"
            f"<header><a href='/'>Bench wire</a></header><article><h1>{escape(a.title)}</h1>{body}</article>"
            f"<footer>Generated for the benchmark</footer></body></html>").encode()


def write_summary_feed(articles: list[Article], base_url: str, path: Path) -> Path:
    """One RSS file whose items hold the first sentence only and link to base_url/a/N."""
    items = "".join(f"<item><title>{escape(a.title)}</title><link>{base_url}/a/{n}</link>"
                    f"<description>{escape(a.paragraphs[0].split('. ')[0])}.</description></item>"
                    for n, a in enumerate(articles))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Summaries</title>'
                    f"<link>{base_url}/</link>{items}</channel></rss>\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def page_server(articles: list[Article]) -> Iterator[tuple[str, list[int]]]:
    """Serve robots.txt and /a/N for each article; yields the base URL and a one-item request counter."""
    pages = {f"/a/{n}": page_html(a) for n, a in enumerate(articles)}
    count = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                count[0] += 1
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else pages.get(self.path)
            kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", count
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
