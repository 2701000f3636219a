"""Article loading from real files, directories and a real local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from retrieval import fetching
from retrieval.articles import Article
from retrieval.fetching import FetchError, fetch_url
from retrieval.language import detect_language
from retrieval.loading import (
    DEFAULT_OPTIONS,
    LoadFailure,
    LoadOptions,
    iter_articles,
    load_bytes,
    normalize_date,
)

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "coree-du-nord-russie-koursk.fr.txt"

FRENCH = (
    "Le gouvernement a présenté mercredi un projet de loi sur le logement. Les associations "
    "de locataires estiment que les mesures annoncées ne suffiront pas à faire baisser les "
    "loyers dans les grandes villes, où la demande reste très forte."
)
ENGLISH = (
    "The city council approved a new budget for public transport on Tuesday. Officials said "
    "the plan would add more buses on busy routes and keep the metro open later at weekends, "
    "starting next spring."
)

ARTICLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Council backs transport budget</title>
<link rel="canonical" href="https://news.example.org/2024/03/05/transport-budget">
<meta property="article:published_time" content="2024-03-05T09:30:00+01:00">
<script>window.analytics = {id: 42};</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Council backs transport budget</h1>
<p>The city council approved a new budget for public transport on Tuesday, after a debate
that lasted most of the afternoon.</p>
<p>Officials said the plan would add more buses on busy routes and keep the metro open later
at weekends, starting next spring.</p>
<p>Opposition members called the spending too modest for a city whose population keeps
growing, and promised to raise the issue again in the autumn.</p>
</article>
<footer>Subscribe to our newsletter</footer>
</body></html>
"""

LINKS_ONLY_HTML = (
    "<html><head><title>Index</title><script>var tracker = 'x';</script></head><body><ul>"
    + "".join(f'<li><a href="/page/{i}">Page {i}</a></li>' for i in range(40))
    + "</ul><script>document.write('hello');</script></body></html>"
)


def load(
    *inputs: str | Path, options: LoadOptions = DEFAULT_OPTIONS
) -> list[Article | LoadFailure]:
    return list(iter_articles([str(i) for i in inputs], options))


def only(items: list[Article | LoadFailure]) -> Article | LoadFailure:
    assert len(items) == 1, items
    return items[0]


def article(items: list[Article | LoadFailure]) -> Article:
    item = only(items)
    assert isinstance(item, Article), item
    return item


def failure(items: list[Article | LoadFailure]) -> LoadFailure:
    item = only(items)
    assert isinstance(item, LoadFailure), item
    return item


# --- language ------------------------------------------------------------------------------


def test_detects_french_and_english_paragraphs() -> None:
    assert detect_language(FRENCH) == "fr"
    assert detect_language(ENGLISH) == "en"


def test_too_short_text_is_undetermined() -> None:
    assert detect_language("OK") == "und"
    assert detect_language("12 345 678") == "und"
    assert detect_language("") == "und"


# --- plain text and Markdown ---------------------------------------------------------------


def test_french_sample_loads_whole_text_as_french() -> None:
    loaded = article(load(SAMPLE))
    assert loaded.text == SAMPLE.read_text(encoding="utf-8")
    assert loaded.lang == "fr"
    assert loaded.source == str(SAMPLE)
    assert loaded.url is None
    # Its first line is a long paragraph, not a title, so the file name stands in.
    assert loaded.title == "coree-du-nord-russie-koursk.fr"


def test_text_file_title_is_first_line_and_text_is_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "budget.txt"
    path.write_bytes(f"\r\n  Transport budget approved\r\n\r\n{ENGLISH}\r\n".encode())
    loaded = article(load(path))
    assert loaded.title == "Transport budget approved"
    assert loaded.text == f"\n  Transport budget approved\n\n{ENGLISH}\n"
    start = loaded.text.index("The city council")
    assert loaded.text[start : start + 16] == "The city council"
    assert loaded.lang == "en"
    assert loaded.source == str(path.resolve())


def test_relative_path_source_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "note.txt").write_text(ENGLISH, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert article(load("note.txt")).source == str((tmp_path / "note.txt").resolve())


def test_markdown_title_drops_heading_marks(tmp_path: Path) -> None:
    path = tmp_path / "logement.md"
    content = f"## Projet de loi sur le logement ##\n\n{FRENCH}\n"
    path.write_text(content, encoding="utf-8")
    loaded = article(load(path))
    assert loaded.title == "Projet de loi sur le logement"
    assert loaded.text == content
    assert loaded.lang == "fr"


def test_markdown_front_matter_gives_title_date_link_and_language_and_is_not_quoted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "logement.md"
    front = (
        "---\n"
        'title: "Le projet de loi sur le logement adopté"\n'
        "date: 2024-11-05\n"
        "url: https://example.org/logement\n"
        "lang: fr_FR\n"
        "tags: [logement, loi]\n"
        "---\n"
    )
    path.write_text(front + f"## Un autre titre\n\n{FRENCH}\n", encoding="utf-8")
    loaded = article(load(path))
    assert loaded.title == "Le projet de loi sur le logement adopté"
    assert (loaded.date, loaded.url, loaded.lang) == (
        "2024-11-05",
        "https://example.org/logement",
        "fr",
    )
    assert loaded.text == f"## Un autre titre\n\n{FRENCH}\n"
    assert "tags" not in loaded.text


@pytest.mark.parametrize(
    "content",
    [
        "---\nUne ligne de séparation, puis du texte.\n---\n",  # a rule, not metadata
        "---\ntitle: [unclosed\n---\n",  # broken YAML
        "---\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ntitle: *c\n---\n",  # aliases, never stringified
        "---\ntitle: never closed\n",
    ],
)
def test_markdown_without_usable_front_matter_keeps_its_text(tmp_path: Path, content: str) -> None:
    path = tmp_path / "note.md"
    path.write_text(content + FRENCH, encoding="utf-8")
    loaded = article(load(path))
    if "&a" in content:
        # A valid mapping: consumed as metadata, but its alias-built lists are no title.
        assert (loaded.text, loaded.title) == (FRENCH, "note")
    else:
        assert loaded.text == content + FRENCH
        assert loaded.title == "note"


def test_long_first_line_falls_back_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "long-lead.txt"
    path.write_text("word " * 60 + "\n" + ENGLISH, encoding="utf-8")
    assert article(load(path)).title == "long-lead"


# --- decoding ------------------------------------------------------------------------------


def test_cp1252_french_text_is_decoded(tmp_path: Path) -> None:
    text = FRENCH + " « C’est une décision équilibrée », a déclaré le ministre à l’Assemblée."
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    loaded = article(load(path))
    assert loaded.text == text
    assert loaded.lang == "fr"


def test_latin1_french_text_is_decoded(tmp_path: Path) -> None:
    text = (
        "Élections régionales : la participation a légèrement progressé dimanche, selon les "
        "chiffres publiés à vingt heures par le ministère de l'Intérieur. Les électeurs ont été "
        "plus nombreux qu'il y a six ans à se déplacer dans les bureaux de vote."
    )
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.encode("latin-1"))
    assert article(load(path)).text == text


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes(("Titre\n" + FRENCH).encode("utf-16"))  # Python writes a BOM
    loaded = article(load(path))
    assert loaded.text == "Titre\n" + FRENCH
    assert loaded.title == "Titre"


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfHeadline\n" + ENGLISH.encode())
    loaded = article(load(path))
    assert loaded.text.startswith("Headline\n")
    assert loaded.title == "Headline"


def test_nul_bytes_are_rejected_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(ENGLISH.encode() + b"\x00\x00" + ENGLISH.encode())
    reason = failure(load(path)).reason
    assert reason.startswith("binary or undecodable file")
    assert "NUL" in reason


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert failure(load(path)).reason.startswith("binary or undecodable file")


def test_control_characters_without_nul_are_rejected_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "controls.md"
    path.write_bytes(bytes(range(1, 32)) * 50)
    assert failure(load(path)).reason.startswith("binary or undecodable file")


def test_empty_and_whitespace_files_fail(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\t\r\n")
    empty, blank = load(tmp_path / "empty.txt", tmp_path / "blank.md")
    assert empty == LoadFailure(str(tmp_path / "empty.txt"), "empty file")
    assert blank == LoadFailure(str(tmp_path / "blank.md"), "empty file")


def test_file_over_the_limit_names_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("a" * 2500, encoding="utf-8")
    reason = failure(load(path, options=LoadOptions(max_bytes=1000))).reason
    assert "2.5 kB" in reason
    assert "1 kB limit" in reason


# --- HTML files ----------------------------------------------------------------------------


def test_html_file_gives_main_text_title_date_and_canonical_url(tmp_path: Path) -> None:
    path = tmp_path / "budget.html"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    loaded = article(load(path))
    assert loaded.title == "Council backs transport budget"
    assert "keep the metro open later" in loaded.text
    assert "Subscribe to our newsletter" not in loaded.text
    assert "analytics" not in loaded.text
    assert loaded.date == "2024-03-05"
    assert loaded.url == "https://news.example.org/2024/03/05/transport-budget"
    assert loaded.lang == "en"
    assert loaded.source == str(path.resolve())


def test_html_with_only_links_and_scripts_fails(tmp_path: Path) -> None:
    path = tmp_path / "index.htm"
    path.write_text(LINKS_ONLY_HTML, encoding="utf-8")
    reason = failure(load(path)).reason
    assert reason == "no article text found in the HTML (is it a page of links or scripts?)"


def test_html_meta_charset_is_honoured(tmp_path: Path) -> None:
    html = ARTICLE_HTML.replace('charset="utf-8"', 'charset="windows-1252"').replace(
        "after a debate", "après un débat"
    )
    path = tmp_path / "cp1252.html"
    path.write_bytes(html.encode("cp1252"))
    assert "après un débat" in article(load(path)).text


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_reports_bad_lines_by_number_and_loads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps(
            {"id": "a1", "title": "Logement", "text": FRENCH, "date": "2024-02-01T08:00:00Z"}
        ),
        '{"id": "a2", "text": "unterminated',
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "a4", "title": "No text"}),
        json.dumps({"text": "   "}),
        "",
        json.dumps({"text": ENGLISH, "url": "https://example.com/bus", "lang": "en"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = load(path)
    assert [type(i).__name__ for i in items] == [
        "Article",
        "LoadFailure",
        "LoadFailure",
        "LoadFailure",
        "LoadFailure",
        "Article",
    ]
    first, bad_json, not_object, no_text, blank_text, last = items
    assert isinstance(first, Article) and isinstance(last, Article)
    assert first.source == f"{path}#a1"
    assert first.title == "Logement"
    assert first.text == FRENCH
    assert first.date == "2024-02-01"
    assert first.lang == "fr"
    assert bad_json.source == f"{path}:2" and "invalid JSON" in bad_json.reason
    assert not_object.source == f"{path}:3" and "JSON object" in not_object.reason
    assert no_text.source == f"{path}:4" and '"text" field is missing' in no_text.reason
    assert blank_text.source == f"{path}:5" and '"text" field is empty' in blank_text.reason
    assert last.source == f"{path}:7"
    assert last.url == "https://example.com/bus"
    assert last.lang == "en"


def test_jsonl_line_over_the_limit_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    rows = [{"id": "1", "text": "x" * 5000}, {"id": "2", "text": ENGLISH}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    too_long, ok = load(path, options=LoadOptions(max_bytes=1000))
    assert isinstance(too_long, LoadFailure) and too_long.source == f"{path}:1"
    assert "longer than 1 kB" in too_long.reason
    assert isinstance(ok, Article) and ok.source == f"{path}#2"


def test_jsonl_duplicate_id_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(
        json.dumps({"id": 7, "text": ENGLISH}) + "\n" + json.dumps({"id": 7, "text": FRENCH}),
        encoding="utf-8",
    )
    first, second = load(path)
    assert isinstance(first, Article) and first.source == f"{path}#7"
    assert isinstance(second, LoadFailure) and "duplicate id '7'" in second.reason


def test_jsonl_language_is_detected_when_not_given(tmp_path: Path) -> None:
    path = tmp_path / "nolang.jsonl"
    path.write_text(json.dumps({"text": FRENCH}), encoding="utf-8")
    assert article(load(path)).lang == "fr"


# --- directories, missing paths, options ---------------------------------------------------


def test_directory_is_loaded_recursively_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("A\n" + ENGLISH, encoding="utf-8")
    (tmp_path / "b" / "c.md").write_text("# C\n" + ENGLISH, encoding="utf-8")
    (tmp_path / "b" / "deep" / "d.HTML").write_text(ARTICLE_HTML, encoding="utf-8")
    (tmp_path / "b" / "notes.csv").write_text("x,y\n", encoding="utf-8")
    (tmp_path / ".git" / "hidden.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / ".draft.txt").write_text(ENGLISH, encoding="utf-8")
    items = load(tmp_path)
    assert all(isinstance(i, Article) for i in items), items
    assert [Path(i.source).relative_to(tmp_path).as_posix() for i in items] == [
        "a.txt",
        "b/c.md",
        "b/deep/d.HTML",
    ]


def test_directory_with_nothing_to_load_says_so(tmp_path: Path) -> None:
    (tmp_path / "readme.rst").write_text("hi", encoding="utf-8")
    assert "no .txt, .md" in failure(load(tmp_path)).reason


def test_missing_path_fails_and_loading_goes_on(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text(ENGLISH, encoding="utf-8")
    missing, ok = load(tmp_path / "nope.txt", tmp_path / "ok.txt")
    assert isinstance(missing, LoadFailure)
    assert missing.source == str(tmp_path / "nope.txt")
    assert "no such file or directory" in missing.reason
    assert isinstance(ok, Article)


def test_explicit_unsupported_file_type_names_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF-1.7")
    reason = failure(load(path)).reason
    assert "'.pdf'" in reason and ".jsonl" in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T09:30:00+01:00", "2024-03-05"),
        ("2024-03-05T09:30:00Z", "2024-03-05"),
        ("Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05"),
        ("5 March 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("2024/03/05", "2024-03-05"),
        ("yesterday", None),
        ("2024", None),
        ("", None),
        (None, None),
        (20240305, None),
    ],
)
def test_dates_are_normalized_to_iso(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


# --- URLs ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    requested: list[str]  # set per server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, content_type: str, body: bytes, *, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, data: bytes, pause_s: float) -> None:
        try:
            for i in range(len(data)):
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(pause_s)
        except OSError:
            pass  # the client gave up, as it should

    def do_GET(self) -> None:
        self.requested.append(self.path)
        self.requested.append(f"host={self.headers.get('Host')}")
        html = "text/html; charset=utf-8"
        if self.path == "/article.html":
            self._send(200, html, ARTICLE_HTML.encode())
        elif self.path == "/links.html":
            self._send(200, html, LINKS_ONLY_HTML.encode())
        elif self.path == "/plain.txt":
            self._send(200, "text/plain; charset=iso-8859-1", ("Titre\n" + FRENCH).encode("cp1252"))
        elif self.path == "/report.pdf":
            self._send(200, "application/pdf", b"%PDF-1.7 ...")
        elif self.path == "/old-address":
            self.send_response(301)
            self.send_header("Location", "/article.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.1.2.3/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self._send(200, html, b"<p>" + b"x" * 5000 + b"</p>")
        elif self.path == "/big-undeclared":
            self._send(200, html, b"<p>" + b"x" * 5000 + b"</p>", length=False)
        elif self.path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self._drip(b"x" * 40, 0.05)
        elif self.path == "/slow-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Padding: " + b"y" * 40 + b"\r\n\r\n", 0.05)
        else:
            self._send(404, "text/plain", b"not here")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    requested: list[str] = []
    handler = type("Handler", (_Handler,), {"requested": requested})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requested
    httpd.shutdown()
    httpd.server_close()


LOCAL = LoadOptions(timeout_s=2.0, max_bytes=100_000, allow_private_urls=True)


def test_url_article_is_extracted_with_canonical_url(server: tuple[str, list[str]]) -> None:
    base, _ = server
    loaded = article(load(f"{base}/article.html", options=LOCAL))
    assert loaded.source == f"{base}/article.html"
    assert loaded.url == "https://news.example.org/2024/03/05/transport-budget"
    assert loaded.title == "Council backs transport budget"
    assert loaded.date == "2024-03-05"
    assert "add more buses on busy routes" in loaded.text


def test_redirect_is_followed_and_source_stays_as_given(server: tuple[str, list[str]]) -> None:
    base, _ = server
    page = fetch_url(f"{base}/old-address", timeout_s=2, max_bytes=100_000, allow_private=True)
    assert page.status == 200
    assert page.final_url == f"{base}/article.html"
    assert page.encoding == "utf-8"
    assert article(load(f"{base}/old-address", options=LOCAL)).source == f"{base}/old-address"


def test_plain_text_url_is_loaded_as_text(server: tuple[str, list[str]]) -> None:
    base, _ = server
    loaded = article(load(f"{base}/plain.txt", options=LOCAL))
    assert loaded.text == "Titre\n" + FRENCH
    assert loaded.title == "Titre"
    assert loaded.url == f"{base}/plain.txt"
    assert loaded.lang == "fr"


def test_http_errors_and_bad_content_are_failures(server: tuple[str, list[str]]) -> None:
    base, _ = server
    missing, pdf, links = load(
        f"{base}/missing", f"{base}/report.pdf", f"{base}/links.html", options=LOCAL
    )
    assert missing == LoadFailure(f"{base}/missing", "HTTP 404 Not Found")
    assert isinstance(pdf, LoadFailure) and "application/pdf" in pdf.reason
    assert isinstance(links, LoadFailure) and "no article text found" in links.reason


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_body_over_max_bytes_fails(server: tuple[str, list[str]], path: str) -> None:
    base, _ = server
    with pytest.raises(FetchError) as caught:
        fetch_url(f"{base}{path}", timeout_s=2, max_bytes=1000, allow_private=True)
    assert caught.value.reason.startswith("body larger than 1 kB")


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers"])
def test_slow_drip_hits_the_total_timeout(server: tuple[str, list[str]], path: str) -> None:
    base, _ = server
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_url(f"{base}{path}", timeout_s=0.3, max_bytes=100_000, allow_private=True)
    assert caught.value.reason == "timed out after 0.3 s"
    assert time.monotonic() - started < 1.0


def test_redirect_loop_stops(server: tuple[str, list[str]]) -> None:
    base, _ = server
    assert "too many redirects" in failure(load(f"{base}/loop", options=LOCAL)).reason


def test_loopback_is_refused_without_connecting(server: tuple[str, list[str]]) -> None:
    base, requested = server
    before = len(requested)
    reason = failure(load(f"{base}/article.html", options=LoadOptions(timeout_s=2))).reason
    assert "loopback address 127.0.0.1" in reason
    assert "NEWSBOT_ALLOW_PRIVATE_URLS=true" in reason
    assert len(requested) == before


def test_redirect_to_private_address_is_refused(
    server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    # Let the test server's loopback address pass as public, so only the redirect is judged.
    real = fetching.address_refusal
    monkeypatch.setattr(
        fetching, "address_refusal", lambda a: None if str(a) == "127.0.0.1" else real(a)
    )
    reason = failure(load(f"{base}/to-private", options=LoadOptions(timeout_s=2))).reason
    assert "redirected to http://10.1.2.3/secret" in reason
    assert "private address 10.1.2.3" in reason


def test_metadata_address_is_refused_even_when_private_is_allowed() -> None:
    with pytest.raises(FetchError) as caught:
        fetch_url("http://169.254.169.254/latest/", timeout_s=1, max_bytes=1000, allow_private=True)
    assert "cloud metadata address" in caught.value.reason


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/news.txt"])
def test_non_http_schemes_are_refused(url: str) -> None:
    reason = failure(load(url, options=LOCAL)).reason
    assert "only http and https" in reason
    assert url.split(":", 1)[0] in reason


def test_connection_goes_to_the_validated_address(
    server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, requested = server
    port = base.rsplit(":", 1)[1]
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def fake_getaddrinfo(host: str, *args: object, **kwargs: object) -> list:
        if host == "news.test":
            lookups.append(host)
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    page = fetch_url(
        f"http://news.test:{port}/article.html", timeout_s=2, max_bytes=100_000, allow_private=True
    )
    assert page.status == 200
    # One lookup, the validated one: the connection did not ask DNS again.
    assert lookups == ["news.test"]
    assert requested[-1] == f"host=news.test:{port}"


@pytest.mark.parametrize("filename", ["", ".", "..", "../etc/passwd", "a/b.txt", "a\\b.txt"])
def test_bytes_under_a_path_like_name_are_refused(filename: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        load_bytes(b"Text.\n", filename, "discord:1/x", LoadOptions())
