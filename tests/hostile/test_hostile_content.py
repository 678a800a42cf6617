"""Hostile and odd feed content, served on loopback and ingested by one `dealwire ingest`: encodings,
sizes and shapes, XML attacks, HTML in content. Each feed's row in `feeds` and its stored text are checked."""
from __future__ import annotations

import resource
import unicodedata
from xml.sax.saxutils import escape

import pytest

from flows.parse import MAX_ARTICLE_CHARS
from tests.feedserver import FeedServer
from tests.hostile.conftest import feed_rows, query, run_dealwire, settings_file

CAP = 50 * 1024 * 1024  # the default max_feed_bytes


def doc(*items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>', doctype: str = "") -> str:
    return (f'{decl}{doctype}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Hostile</title><link>https://news.example.com/</link>{''.join(items)}</channel></rss>")


def entry(slug: str, title: str, body: str, link: str | None = None) -> str:
    """An <item>; title and body are inserted as raw XML (escape them yourself)."""
    link = link if link is not None else f"https://news.example.com/{slug}"
    return f"<item><title>{title}</title><link>{escape(link)}</link><description>{body}</description></item>"


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (undefined bytes kept as C1 controls), as broken CMSes do."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8"))


READABLE = "Café Señor naïve “quoted” — €5"
SCRIPTED = ('<p onclick="steal()">Visible <b onmouseover="x()">words</b>.</p><script>alert("SCRIPT1")</script>'
            '<style>p{background:url(javascript:STYLE1)}</style><a href="javascript:alert(1)">link text</a>'
            '<img src="x" onerror="alert(2)"><svg><script>SVG1</script></svg><noscript>NOSCRIPT1</noscript>'
            '<SCRIPT type="text/javascript">UPPER1</SCRIPT><iframe src="javascript:IFRAME1"></iframe>'
            '<form action="javascript:FORM1"><button>BUTTON1</button></form><p>Tail.</p>')
LAUGHS = '<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' + "".join(
    f'<!ENTITY {chr(99 + i)} "' + f"&{chr(98 + i)};" * 10 + '">' for i in range(7)) + "]>"


def stream_over_cap(h) -> None:
    """A body one MiB over the cap, close-delimited (no Content-Length to pre-check), never held in memory."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Connection", "close")
    h.end_headers()
    chunk = b" " * (1024 * 1024)
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>')
    for _ in range(CAP // len(chunk) + 1):
        h.wfile.write(chunk)
    h.close_connection = True


@pytest.fixture(scope="module")
def servers():
    feeds, elsewhere = FeedServer(), FeedServer()
    yield feeds, elsewhere
    feeds.shutdown()
    elsewhere.shutdown()


@pytest.fixture(scope="module")
def run(servers, dealwire_env, tmp_path_factory):
    """(result, db, {name: feed URL}) of one ingest over every hostile feed."""
    srv, elsewhere = servers
    dtd = elsewhere.route("/evil.dtd", body=b'<!ENTITY secret SYSTEM "file:///etc/passwd">',
                          headers={"Content-Type": "application/xml-dtd"})
    big_body = "\n\n".join(f"Paragraph {i} of a very long piece about the weather and the river." for i in range(80_000))
    routes = {
        # encodings
        "lying-charset": (doc(entry("lie", READABLE, "Señor")).encode("latin-1", "replace"), {}),
        "latin1": (doc(entry("latin1", "Café Señor", "naïve"), decl='<?xml version="1.0" encoding="iso-8859-1"?>')
                   .encode("latin-1"), {}),
        "header-lies": (doc(entry("hdr", "Café Señor", "naïve")).replace("utf-8", "iso-8859-1").encode("latin-1"),
                        {"Content-Type": "application/rss+xml; charset=utf-8"}),
        "utf16": (doc(entry("utf16", READABLE, "日本語の記事"), decl='<?xml version="1.0" encoding="utf-16"?>')
                  .encode("utf-16"), {}),
        "mojibake": (doc(entry("moji", mojibake(READABLE), mojibake("<p>Ñoño paid €5 — “twice”.</p>"))).encode(), {}),
        "control": (doc(entry("ctl", "Ti\x01tle\x07 ok", "bo\x00dy \x1b[31m red\x0b\x7f\u0085\u200b\ufeff"))
                    .encode(), {}),
        "char-refs": (doc(entry("refs", "Ref &#xD800; &#0; &#x110000; end", "body &#1; &#x1b; &#xDFFF; &#150; ok")).encode(), {}),
        # sizes and shapes
        "over-cap": None,
        "many": (doc(*(f"<item><title>n{i}</title><link>https://news.example.com/n/{i}</link></item>"
                       for i in range(10_000))).encode(), {}),
        "big-entry": (doc(entry("big", "A very long story", f"<![CDATA[{big_body}]]>")).encode(), {}),
        "empty": (doc().encode(), {}),
        "html-page": (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
                      {"Content-Type": "text/html"}),
        "json-error": (b'{"error": "rate limited", "status": 200}', {"Content-Type": "application/json"}),
        # XML attacks
        "billion-laughs": (doc(entry("lol", "&h;", "x"), doctype=LAUGHS).encode(), {}),
        "xxe": (doc(entry("xxe", "&xxe;", "&xxe;"),
                    doctype='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').encode(), {}),
        "external-dtd": (doc(entry("dtd", "External &secret; DTD", "body &secret;"),
                             doctype=f'<!DOCTYPE rss SYSTEM "{dtd}">').encode(), {}),
        "parameter-entity": (doc(entry("pe", "t", "x"), doctype=f'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{dtd}"> %ext;]>')
                             .encode(), {}),
        "repeated-entity": (doc(entry("rep", "t", "&a;" * 5000),
                                doctype=f'<!DOCTYPE rss [<!ENTITY a "{"A" * 5000}">]>').encode(), {}),
        "utf16-entity": (doc(entry("rep16", "t", "&a;" * 5000), decl='<?xml version="1.0" encoding="utf-16"?>',
                             doctype=f'<!DOCTYPE rss [<!ENTITY a "{"A" * 5000}">]>').encode("utf-16"), {}),
        # HTML in content
        "scripted": (doc(entry("scripted", escape('<script>alert("T1")</script>Title <b onclick="x()">bold</b>'),
                               f"<![CDATA[{SCRIPTED}]]>"),
                         entry("scripted-escaped", "Escaped", escape(SCRIPTED)),
                         entry("js-link", "A javascript: link", "Body.", link="javascript:alert(document.cookie)"))
                     .encode(), {}),
    }
    urls = {}
    for name, spec in routes.items():
        if spec is None:
            urls[name] = srv.route(f"/{name}", handler=stream_over_cap)
        else:
            body, headers = spec
            urls[name] = srv.route(f"/{name}", body=body, headers=headers)
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.duckdb"
    config = settings_file(folder, timeout_s=10, fetch_retries=0, batch_size=1000)
    result = run_dealwire("ingest", "--allow-private", "--config", config, "--db", str(db), *urls.values(),
                          env=dealwire_env, timeout=300)
    return result, db, urls


def status(run, name: str) -> tuple:
    _, db, urls = run
    return feed_rows(db)[urls[name]]


def texts(run, name: str) -> list[tuple[str, str]]:
    """(title, text) of the articles stored from one feed."""
    _, db, urls = run
    return query(run[1], "SELECT title, text FROM articles WHERE feed_url = ? ORDER BY url", urls[name])


def test_the_run_records_every_feed_and_exits_1(run):
    result, db, urls = run
    assert result.returncode == 1
    assert set(feed_rows(db)) == set(urls.values())
    for url, (state, error, _) in feed_rows(db).items():
        assert state == "ok" or (error and f"failed: {url}: " in result.stdout)


@pytest.mark.parametrize("name", ["lying-charset", "latin1", "header-lies", "utf16", "mojibake"])
def test_text_in_any_encoding_is_stored_readable(run, name):
    assert status(run, name)[0] == "ok"
    ((title, text),) = texts(run, name)
    assert title.startswith("Café Señor")
    assert "Ã" not in title + text and "\ufffd" not in title + text


def test_utf16_keeps_non_latin_text(run):
    assert texts(run, "utf16") == [(READABLE, "日本語の記事")]


@pytest.mark.parametrize("name", ["control", "char-refs"])
def test_control_characters_never_reach_stored_text(run, name):
    assert status(run, name)[0] == "ok"
    ((title, text),) = texts(run, name)
    assert not [c for c in title + text if unicodedata.category(c) in ("Cc", "Cs") or c in "\ufeff\u200b"]
    assert title.startswith(("Title ok", "Ref"))


def test_a_feed_over_the_size_cap_fails_clearly_with_bounded_memory(run):
    state, error, _ = status(run, "over-cap")
    assert state == "failed" and f"larger than {CAP} bytes" in error
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_500_000  # kB: spaCy plus about one cap


def test_ten_thousand_entries_are_all_stored(run):
    assert status(run, "many") == ("ok", None, 10_000)
    assert len(texts(run, "many")) == 10_000


def test_a_5_mb_entry_is_stored_cut_at_a_paragraph_with_a_note(run):
    state, warning, _ = status(run, "big-entry")
    ((_, text),) = texts(run, "big-entry")
    assert state == "ok" and f"cut to {MAX_ARTICLE_CHARS} characters" in warning
    assert MAX_ARTICLE_CHARS // 2 < len(text) <= MAX_ARTICLE_CHARS
    assert text.startswith("Paragraph 0 ") and text.endswith("river. …")


def test_an_empty_feed_is_ok_with_no_entries(run):
    assert status(run, "empty") == ("ok", None, 0)


@pytest.mark.parametrize(("name", "why"), [("html-page", "looks like an HTML page"), ("json-error", "looks like JSON")])
def test_what_is_not_a_feed_fails_saying_what_it_is(run, name, why):
    state, error, _ = status(run, name)
    assert state == "failed" and "not an RSS or Atom feed" in error and why in error


@pytest.mark.parametrize("name", ["billion-laughs", "xxe", "parameter-entity", "repeated-entity", "utf16-entity"])
def test_entity_declarations_are_refused_before_parsing(run, name):
    state, error, _ = status(run, name)
    assert state == "failed" and "declares XML entities" in error
    assert texts(run, name) == []


def test_an_external_dtd_is_never_fetched_nor_expanded(run, servers):
    _, elsewhere = servers
    assert elsewhere.hits["/evil.dtd"] == 0
    assert status(run, "external-dtd")[0] == "ok"
    _, db, _ = run
    assert query(db, "SELECT count(*) FROM articles WHERE text LIKE '%root:%' OR title LIKE '%root:%'") == [(0,)]


def test_scripts_styles_handlers_and_javascript_links_never_reach_stored_text(run):
    stored = texts(run, "scripted")
    everything = " ".join(f"{t} {x}" for t, x in stored)
    assert sorted(t for t, _ in stored) == ["A javascript: link", "Escaped", "Title bold"]
    for marker in ("SCRIPT1", "STYLE1", "SVG1", "UPPER1", "IFRAME1", "FORM1", "BUTTON1", "NOSCRIPT1", "T1",
                   "alert", "javascript:alert", "onclick", "onerror", "steal", "<"):
        assert marker not in everything.replace("A javascript: link", ""), marker
    assert all(x.startswith("Visible words.") for t, x in stored if t != "A javascript: link")
    _, db, urls = run
    assert query(db, "SELECT url FROM articles WHERE title = 'A javascript: link'") == [(None,)]
