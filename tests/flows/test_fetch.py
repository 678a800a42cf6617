"""fetch_feed against a real HTTP server on 127.0.0.1 (no internet needed)."""

from __future__ import annotations

import pickle
import socket
import time
import tracemalloc

import httpx
import pytest

from flows.errors import (ArticleError, ArticleNotFound, DealwireError, FeedError, FeedRefused,
                          UsageError)
from flows.fetch import FetchPolicy, check_host_allowed, fetch_feed, is_url
from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
# The test server lives on loopback, so every fetch that should connect must allow it.
LOCAL = FetchPolicy(allow_private=True, timeout_s=2, total_timeout_s=5)
LM = "Wed, 01 Jan 2025 00:00:00 GMT"


# -- happy paths / conditional GET -------------------------------------------

def test_etag_then_304(feed_server):
    url = feed_server.route("/feed", body=RSS, etag='"v1"')
    first = fetch_feed(url, policy=LOCAL)
    second = fetch_feed(url, etag=first.etag, policy=LOCAL)
    assert (first.status_code, first.content, first.etag) == (200, RSS, '"v1"')
    assert (second.status_code, second.not_modified, second.content) == (304, True, b"")
    assert second.etag == '"v1"'
    assert feed_server.hits["/feed"] == 2
    assert feed_server.requests[1][1]["If-None-Match"] == '"v1"'


def test_last_modified_round_trip(feed_server):
    url = feed_server.route("/feed", body=RSS, last_modified=LM)
    first = fetch_feed(url, policy=LOCAL)
    second = fetch_feed(url, last_modified=first.last_modified, policy=LOCAL)
    assert first.last_modified == LM
    assert second.not_modified and second.last_modified == LM


def test_304_keeps_old_validators_when_response_lacks_them(feed_server):
    url = feed_server.route("/feed", status=304)
    result = fetch_feed(url, etag='"old"', last_modified=LM, policy=LOCAL)
    assert (result.etag, result.last_modified, result.not_modified) == ('"old"', LM, True)


def test_headers_lowercase_for_feedparser(feed_server):
    url = feed_server.route("/feed", body=RSS, headers={"Content-Type": "application/atom+xml"})
    result = fetch_feed(url, policy=LOCAL)
    assert result.headers["content-type"] == "application/atom+xml"
    assert result.headers["content-location"] == url


def test_gzip_body_is_decoded(feed_server):
    url = feed_server.route("/feed", body=RSS, gzip=True)
    result = fetch_feed(url, policy=LOCAL)
    assert result.content == RSS
    assert "content-encoding" not in result.headers


def test_redirect_followed_and_final_url(feed_server):
    feed_server.route("/new", body=RSS)
    url = feed_server.redirect("/old", "/new")
    result = fetch_feed(url, policy=LOCAL)
    assert result.content == RSS
    assert (result.feed_url, result.final_url) == (url, feed_server.url("/new"))


# -- caps and timeouts ---------------------------------------------------------

def test_size_cap(feed_server):
    url = feed_server.route("/big", body=b"x" * 5000)
    with pytest.raises(FeedError, match="larger than 1000 bytes"):
        fetch_feed(url, policy=FetchPolicy(allow_private=True, max_bytes=1000))


def test_size_cap_without_content_length(feed_server):
    def handler(h):  # close-delimited body: no Content-Length to pre-check
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b"x" * 5000)
        h.close_connection = True
    url = feed_server.route("/big", handler=handler)
    with pytest.raises(FeedError, match="larger than 1000 bytes"):
        fetch_feed(url, policy=FetchPolicy(allow_private=True, max_bytes=1000))


def test_gzip_bomb_refused_quickly_with_bounded_memory(feed_server):
    url = feed_server.gzip_bomb("/bomb", decompressed_size=64 * 1024 * 1024)
    policy = FetchPolicy(allow_private=True, max_bytes=1024 * 1024)
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(FeedError, match="decompressed"):
            fetch_feed(url, policy=policy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 5
    assert peak < 8 * 1024 * 1024  # ~cap, not the 64 MiB the bomb expands to


def test_slow_drip_hits_total_timeout(feed_server):
    url = feed_server.route("/drip", body=RSS * 10, drip=(1, 0.05))  # ~40 s to send it all
    policy = FetchPolicy(allow_private=True, timeout_s=1, total_timeout_s=1)
    start = time.monotonic()
    with pytest.raises(FeedError, match="timed out") as exc:
        fetch_feed(url, policy=policy)
    assert exc.value.transient
    assert time.monotonic() - start < 3


def test_read_timeout_is_transient(feed_server):
    url = feed_server.route("/slow", body=RSS, delay_s=2)
    with pytest.raises(FeedError, match="timed out after 0.3s") as exc:
        fetch_feed(url, policy=FetchPolicy(allow_private=True, timeout_s=0.3))
    assert exc.value.transient


# -- redirects -------------------------------------------------------------------

def test_redirect_loop(feed_server):
    feed_server.redirect("/a", "/b")
    url = feed_server.redirect("/b", "/a")
    with pytest.raises(FeedError, match="redirect loop"):
        fetch_feed(url, policy=LOCAL)


def test_too_many_redirects(feed_server):
    for i in range(4):
        feed_server.redirect(f"/r{i}", f"/r{i + 1}")
    feed_server.route("/r4", body=RSS)
    policy = FetchPolicy(allow_private=True, max_redirects=2)
    with pytest.raises(FeedError, match="too many redirects"):
        fetch_feed(feed_server.url("/r0"), policy=policy)


def test_redirect_to_other_scheme_refused(feed_server):
    url = feed_server.redirect("/r", "file:///etc/passwd")
    with pytest.raises(FeedRefused, match="scheme"):
        fetch_feed(url, policy=LOCAL)


# -- HTTP errors -----------------------------------------------------------------

def test_429_retry_after_is_transient(feed_server):
    url = feed_server.retry_after("/limited", seconds=7)
    with pytest.raises(FeedError, match="429") as exc:
        fetch_feed(url, policy=LOCAL)
    assert exc.value.transient and exc.value.retry_after == 7.0
    assert "Retry-After 7s" in exc.value.reason


def test_500_is_transient(feed_server):
    url = feed_server.route("/err", body=b"boom", status=500)
    with pytest.raises(FeedError, match="HTTP 500") as exc:
        fetch_feed(url, policy=LOCAL)
    assert exc.value.transient and exc.value.retry_after is None


def test_404_is_not_transient(feed_server):
    with pytest.raises(FeedError, match="HTTP 404") as exc:
        fetch_feed(feed_server.url("/missing"), policy=LOCAL)
    assert not exc.value.transient


# -- connection failures ---------------------------------------------------------

def test_reset_mid_body_is_transient(feed_server):
    url = feed_server.reset_mid_body("/reset")
    with pytest.raises(FeedError, match="connection reset") as exc:
        fetch_feed(url, policy=LOCAL)
    assert exc.value.transient


def test_closed_port():
    with socket.socket() as s:  # grab a free port, then release it so nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FeedError, match="connection refused") as exc:
        fetch_feed(f"http://127.0.0.1:{port}/feed", policy=LOCAL)
    assert exc.value.transient


# -- refusals (no connection may be made) ---------------------------------------

def test_loopback_refused_before_connecting(feed_server):
    url = feed_server.route("/feed", body=RSS)
    with pytest.raises(FeedRefused, match="127.0.0.1") as exc:
        fetch_feed(url)
    assert exc.value.status == "refused" and not exc.value.transient
    assert feed_server.hits["/feed"] == 0


@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "::1", "fe80::1",
                                  "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1"])
def test_check_host_refuses_non_public(host):
    with pytest.raises(FeedRefused, match="address"):
        check_host_allowed(host, FetchPolicy())


def test_check_host_allows_public_literal_and_allow_private():
    check_host_allowed("93.184.216.34", FetchPolicy())  # IP literal: no DNS, no connection
    check_host_allowed("10.0.0.1", FetchPolicy(allow_private=True))


@pytest.mark.parametrize("target", ["http://10.0.0.1/feed", "http://169.254.169.254/latest/meta-data",
                                    "http://localhost/feed", "http://[::1]/feed"])
def test_redirect_to_private_target_refused(target):
    # MockTransport stands in for a public host: no socket is ever opened.
    seen = []
    def app(request):
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": target})
    with httpx.Client(transport=httpx.MockTransport(app)) as client:
        with pytest.raises(FeedRefused, match="address"):
            fetch_feed("http://93.184.216.34/feed", client=client)
    assert seen == ["http://93.184.216.34/feed"]


def test_ftp_scheme_refused():
    with pytest.raises(FeedRefused, match="scheme 'ftp'"):
        fetch_feed("ftp://example.com/feed.xml")


# -- local files ---------------------------------------------------------------

def test_local_file(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    result = fetch_feed(str(path))
    assert (result.content, result.status_code, result.final_url) == (RSS, 0, path.as_uri())


def test_file_url(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    assert fetch_feed(path.as_uri()).content == RSS


def test_missing_file_names_path(tmp_path):
    path = tmp_path / "nope.xml"
    with pytest.raises(FeedError, match="no such file") as exc:
        fetch_feed(str(path))
    assert str(path) in exc.value.message


def test_directory_is_not_a_feed(tmp_path):
    with pytest.raises(FeedError, match="directory"):
        fetch_feed(str(tmp_path))


def test_local_file_size_cap(tmp_path):
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * 100)
    with pytest.raises(FeedError, match="larger than 10 bytes"):
        fetch_feed(str(path), policy=FetchPolicy(max_bytes=10))


def test_is_url():
    assert is_url("https://x.test/feed") and is_url("ftp://x") and is_url("file:///tmp/f")
    assert not is_url("feeds/local.xml") and not is_url("/abs/path.xml") and not is_url("C:\\f.xml")


# -- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("err", [
    DealwireError("boom"),
    UsageError("bad flag"),
    FeedError("http://x.test/f", "HTTP 503", transient=True, retry_after=12.0),
    FeedRefused("http://x.test/f", "private address"),
    ArticleError("http://x.test/a", "no body"),
    ArticleNotFound("0123456789abcdef"),
], ids=lambda e: type(e).__name__)
def test_errors_pickle_round_trip(err):
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert copy.__dict__ == err.__dict__
    assert str(copy) == str(err) == err.message


def test_feed_error_message_and_defaults():
    err = FeedRefused("http://x.test/f", "nope")
    assert err.message == "feed http://x.test/f: nope"
    assert (err.status, err.transient, err.retry_after) == ("refused", False, None)
