"""Generate hostile ingestion inputs (files) and the outcome each one is allowed to have."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# "fail": must be refused with a reason; "add": must be stored; "any": either, but cleanly.
Expect = Literal["fail", "add", "any"]

LOADABLE = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
PROSE = (
    "The harbour authority said the new crane would double container traffic by spring. "
    "Dock workers welcomed the investment but asked for safety training first.\n"
)


@dataclass(frozen=True)
class Hostile:
    path: Path
    kind: str
    expect: Expect
    # JSON Lines files yield one outcome per record; None means "one outcome for the file".
    records: int | None = None
    good_records: int = 0


class _Corpus:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.items: list[Hostile] = []
        root.mkdir(parents=True, exist_ok=True)

    def add(
        self,
        kind: str,
        suffix: str,
        data: bytes,
        expect: Expect,
        *,
        records: int | None = None,
        good_records: int = 0,
    ) -> Path:
        path = self.root / f"{len(self.items):03d}-{kind}{suffix}"
        path.write_bytes(data)
        self.items.append(Hostile(path, kind, expect, records, good_records))
        return path

    def blob(self, size: int) -> bytes:
        return self.rng.randbytes(size)


def _binary(c: _Corpus) -> None:
    for i in range(36):
        size = [1, 7, 100, 4096, 65536, 300_000][i % 6]
        blob = c.blob(size)
        if size > 1 and b"\0" not in blob:
            blob = blob[:-1] + b"\0"  # random bytes of this length almost always hold one
        # A single byte may decode as some legacy charset; larger blobs must be refused.
        c.add("binary", LOADABLE[i % len(LOADABLE)], blob, "any" if size == 1 else "fail")


def _empty(c: _Corpus) -> None:
    for suffix in LOADABLE:
        c.add("zero-bytes", suffix, b"", "fail")
    for i, blank in enumerate(
        [b" ", b"\n\n\n", b"\t \r\n" * 1000, b"\xef\xbb\xbf", "\u3000".encode()]
    ):
        c.add("blank", LOADABLE[i % 5], blank, "fail")
    c.add("bom-only-utf16", ".txt", codecs.BOM_UTF16_LE, "fail")


def _oversize(c: _Corpus) -> None:
    line = PROSE.encode()
    c.add("50MB-text", ".txt", line * (50_000_000 // len(line) + 1), "fail")
    c.add("10MB-plus-one", ".md", b"a" * 10_000_001, "fail")
    c.add("11MB-html", ".html", b"<p>" + b"x " * 5_500_000 + b"</p>", "fail")
    # One JSON Lines record over the limit, between two good ones that must still load.
    good = json.dumps({"text": "A short record about the harbour crane."}).encode()
    huge = json.dumps({"text": "y" * 10_000_100}).encode()
    c.add(
        "jsonl-huge-line",
        ".jsonl",
        good + b"\n" + huge + b"\n" + good.replace(b"A short", b"Another short") + b"\n",
        "any",
        records=3,
        good_records=2,
    )


def _deep_html(c: _Corpus) -> None:
    for depth in (500, 5000, 50_000, 200_000):
        for tag in ("div", "b"):
            body = f"<{tag}>" * depth + "Deeply nested words." + f"</{tag}>" * depth
            c.add(
                f"deep-{tag}-{depth}", ".html", f"<html><body>{body}</body></html>".encode(), "any"
            )
        unclosed = "<div><table><tr><td>" * (depth // 4) + "Unclosed."
        c.add(f"unclosed-{depth}", ".htm", unclosed.encode(), "any")
    c.add("deep-markdown-quote", ".md", (">" * 100_000 + " quoted\n").encode(), "any")
    c.add(
        "deep-markdown-list",
        ".md",
        "".join("  " * i + "- item\n" for i in range(100)).encode(),
        "any",
    )


def _script_only(c: _Corpus) -> None:
    pages = [
        "<html><head><script>var a = 1;</script></head>"
        "<body><script>alert(1)</script></body></html>",
        "<script>" + "document.write('x');" * 20000 + "</script>",
        "<html><body><style>p { color: red }</style><noscript></noscript></body></html>",
        "<html><body><!-- " + "comment " * 10000 + "--></body></html>",
        "<html><body><iframe src='http://169.254.169.254/'></iframe></body></html>",
        "<html><body>" + "<a href='/x'>link</a> " * 2000 + "</body></html>",
        "<html><body><img src=x onerror=alert(1)><svg><script>1</script></svg></body></html>",
        "<!DOCTYPE html><html></html>",
        "<html><body><template><p>hidden text in a template</p></template></body></html>",
        "<html><head><title>Only a title</title></head><body></body></html>",
    ]
    for i, page in enumerate(pages):
        # Link text and <template> content are text of a kind; scripts and styles never are.
        expect: Expect = "any" if "link</a>" in page or "<template>" in page else "fail"
        c.add("script-only", ".html" if i % 2 else ".htm", page.encode(), expect)


def _bad_encodings(c: _Corpus) -> None:
    prose = PROSE * 3
    for i in range(12):
        data = bytearray(prose.encode())
        for _ in range(1 + i * 3):
            data[c.rng.randrange(len(data))] = c.rng.choice([0x80, 0xC0, 0xFF, 0xFE, 0xED, 0xF5])
        c.add("invalid-utf8", LOADABLE[i % 5], bytes(data), "any")
    mixes = [
        "Café crème à Genève.\n".encode() + "Café crème à Genève.\n".encode("latin-1"),
        "Москва сообщила.\n".encode("koi8-r") + "Москва сообщила.\n".encode(),
        "東京で地震。\n".encode("shift_jis") + "東京で地震。\n".encode("euc-jp") + b"plain\n",
        "Grüße\n".encode("utf-16-le") + "Grüße\n".encode(),
        b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xe2\x82\x28\xf0\x28\x8c\xbc" * 50,
        b"\xed\xa0\x80\xed\xbf\xbf surrogates encoded in UTF-8\n" * 10,
        b"\xf8\x88\x80\x80\x80 five-byte forms\n" * 10,
        "Zürich".encode("cp1252") + b" " + "Zürich".encode("mac_roman") + b"\n",
        b"<meta charset='utf-16'><p>ASCII that claims to be UTF-16.</p>",
        b"<meta charset='x-no-such-charset'><p>Unknown charset \xe9t\xe9.</p>",
        b"<meta charset='utf-7'><p>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</p>",
        b"<meta charset='x-user-defined'><p>\x80\x81\x82 user defined</p>",
    ]
    for i, data in enumerate(mixes):
        suffix = ".html" if data.startswith(b"<meta") else LOADABLE[i % 3]
        c.add("mixed-encoding", suffix, data, "any")


def _utf16_32(c: _Corpus) -> None:
    text = "Le port a reçu sa nouvelle grue géante mardi.\nLes dockers demandent une formation.\n"
    for name, bom, codec in (
        ("utf16le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf16be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("utf32le", codecs.BOM_UTF32_LE, "utf-32-le"),
        ("utf8bom", codecs.BOM_UTF8, "utf-8"),
    ):
        c.add(f"bom-{name}", ".txt", bom + text.encode(codec), "add")
        c.add(f"bom-{name}-odd", ".md", bom + text.encode(codec)[:-1] + b"\xff", "any")
        c.add(f"bom-{name}-binary", ".html", bom + c.blob(2000), "any")
    c.add("utf16-no-bom", ".txt", text.encode("utf-16-le"), "fail")
    c.add(
        "utf16-html-bom",
        ".html",
        codecs.BOM_UTF16_LE + f"<html><body><p>{text}</p></body></html>".encode("utf-16-le"),
        "any",
    )


def _nul_bytes(c: _Corpus) -> None:
    data = (PROSE * 4).encode()
    for i in range(10):
        pos = c.rng.randrange(len(data))
        c.add("nul", LOADABLE[i % 5], data[:pos] + b"\0" * (1 + i) + data[pos:], "fail")
    c.add(
        "nul-html-attr",
        ".html",
        b"<html><body><p title='\0'>Text with a NUL in an attribute.</p></body></html>",
        "fail",
    )


def _giant_lines(c: _Corpus) -> None:
    # Sizes keep the embedding work small; 100 kB of "!" took 100 s before sentence
    # splitting was made linear, so the hang it guards against would still show.
    c.add("giant-word-line", ".txt", b"harbour " * 12_000, "any")
    c.add("giant-nospace-line", ".md", b"x" * 100_000, "any")
    c.add("giant-punct-line", ".txt", b"!" * 100_000, "any")
    c.add("giant-question-line", ".md", b"?!" * 50_000 + b"x", "any")
    c.add("giant-dots-line", ".txt", b"." * 100_000 + b" End", "any")
    c.add("giant-abbrev-line", ".txt", b"Mr. " * 25_000, "any")
    c.add("giant-html-line", ".html", b"<p>" + b"word " * 100_000 + b"</p>", "any")
    c.add("giant-title-line", ".md", b"# " + b"T" * 100_000 + b"\nBody of the article.\n", "any")
    # Chunking packs one-character lines with a token count per line added: 200 kB of them
    # took 70 s (10 MB would take hours; reported). Kept small here so the suite stays quick.
    c.add("many-short-lines", ".txt", b"a\n" * 3_000, "any")
    c.add("control-chars", ".txt", bytes(range(1, 32)) * 500, "fail")
    # A token per character: 18 kB took a minute to embed, so a small one.
    c.add("combining-marks", ".txt", ("Z" + "\u0336\u0337\u0338" * 100 + " ").encode() * 4, "any")
    c.add("emoji-flood", ".md", ("🔥" * 20_000).encode(), "any")
    c.add("bidi-override", ".txt", "\u202eThe harbour crane is red.\u202c\n".encode() * 10, "any")


def _jsonl(c: _Corpus) -> None:
    good = {"text": "The harbour authority approved the crane on Monday.", "id": "ok"}

    def lines(*rows: bytes, good_records: int = 0, expect: Expect = "any") -> None:
        c.add(
            "malformed-jsonl",
            ".jsonl",
            b"\n".join(rows) + b"\n",
            expect,
            records=len([r for r in rows if r.strip()]),
            good_records=good_records,
        )

    ok = json.dumps(good).encode()
    lines(b'{"text": "unterminated', expect="fail")
    lines(b"[1, 2, 3]", b"null", b'"just a string"', b"42", b"true", expect="fail")
    lines(
        b'{"text": 123}',
        b'{"text": null}',
        b'{"text": ["a"]}',
        b'{"title": "no text"}',
        b"{}",
        expect="fail",
    )
    lines(b'{"text": "   "}', b'{"text": ""}', expect="fail")
    lines(ok, ok, good_records=1)  # the duplicate id is refused, the first record loads
    lines(b"[" * 100_000 + b"]" * 100_000, ok, good_records=1)  # deep nesting, then a good line
    lines(b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, ok.replace(b'"ok"', b'"ok2"'), good_records=1)
    lines(
        b'{"text": "lone surrogate \\ud800 in text", "id": "s1"}',
        ok.replace(b'"ok"', b'"ok3"'),
        good_records=1,
    )
    lines(b'{"text": "number", "id": 1e999999}', b'{"text": NaN}', b'{"text": "x", "date": 1e308}')
    lines(
        b'\xff\xfe{"text": "latin \xe9"}', b'{"text": "ok \xc3\xa9", "id": "ok4"}', good_records=1
    )
    lines(b'{"text": "has\\u0000nul", "id": "n1"}', b'{"text": "tab\\tand\\u0007bell", "id": "n2"}')
    lines(b'{"text": "dup key", "text": {"nested": true}}')
    lines(
        json.dumps(
            {
                "text": "ok " * 10,
                "title": "T" * 100_000,
                "url": "javascript:alert(1)",
                "date": "not a date",
                "lang": "x" * 1000,
                "id": "weird",
            }
        ).encode()
    )
    lines(b'{"text": "crlf record", "id": "c1"}\r', b"\r", b'{"text":"', expect="any")
    # mtime fixed: any of the timestamp's three changing bytes is 0x0a (a newline) in about
    # one run in 85, which split the file into two lines and the record count above.
    lines(gzip.compress(ok, mtime=0), expect="fail")


def _rss_and_archives(c: _Corpus) -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
        b"<item><title>Crane</title><description><![CDATA[unterminated"
    )
    c.add("broken-rss", ".rss", rss, "fail")
    c.add("broken-rss", ".xml", rss, "fail")
    c.add("broken-rss-as-html", ".html", rss, "any")
    c.add("rss-as-text", ".txt", rss, "any")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]><html><body><p>&lol9;</p></body></html>"
    )
    c.add("billion-laughs", ".html", laughs, "any")
    c.add("entity-flood", ".html", b"<p>" + b"&amp;" * 200_000 + b"</p>", "any")
    zeros = b"\0" * 5_000_000  # compressed, a few kB: the decompressed size never matters
    compressors: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("gzip", lambda data: gzip.compress(data, mtime=0)),
        ("bz2", bz2.compress),
        ("xz", lzma.compress),
        ("zip", _zip),
    ]
    for i, (name, compress) in enumerate(compressors):
        bomb = compress(zeros)
        for suffix in (".txt", ".html", ".md", ".jsonl"):
            if suffix == ".jsonl":
                c.add(f"{name}-bomb", suffix, bomb, "fail", records=None)
            else:
                c.add(f"{name}-bomb", suffix, bomb, "fail")
        c.add(f"{name}-of-text", LOADABLE[i], compress(PROSE.encode() * 100), "fail")
    c.add(
        "pdf",
        ".txt",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>\nendobj\n" + c.blob(5000),
        "fail",
    )
    c.add("png", ".md", b"\x89PNG\r\n\x1a\n" + c.blob(3000), "fail")
    c.add("elf", ".html", b"\x7fELF\x02\x01\x01" + c.blob(3000), "fail")


def _disguised(c: _Corpus) -> None:
    """Content under the wrong extension, and page shapes that slow HTML extraction."""
    html = b"<html><body><p>Markup saved as another type.</p></body></html>"
    c.add("html-as-text", ".txt", html, "any")
    c.add("html-as-jsonl", ".jsonl", html, "fail", records=1)
    c.add(
        "json-array-as-jsonl", ".jsonl", json.dumps([{"text": "x"}] * 3).encode(), "fail", records=1
    )
    c.add("jsonl-as-html", ".html", b'{"text": "json in an html file"}', "any")
    c.add(
        "svg-as-html",
        ".html",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
        "fail",
    )
    c.add(
        "xhtml-doctype",
        ".htm",
        b'<?xml version="1.0"?><!DOCTYPE html SYSTEM "file:///etc/passwd"><html/>',
        "fail",
    )
    c.add(
        "external-entity",
        ".html",
        b'<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>',
        "any",
    )
    c.add(
        "meta-refresh",
        ".html",
        b"<meta http-equiv='refresh' content='0;url=http://127.0.0.1/'>",
        "fail",
    )
    c.add("form-only", ".html", b"<form action='/'><input name=a><button>Go</button></form>", "any")
    c.add(
        "frameset", ".htm", b"<frameset><frame src='a.html'><frame src='b.html'></frameset>", "fail"
    )
    c.add("cdata-flood", ".html", b"<p><![CDATA[" + b"x" * 100_000 + b"]]></p>", "any")
    c.add(
        "unterminated-comment", ".html", b"<p>before</p><!-- never closed " + b"x" * 10_000, "any"
    )
    c.add("unterminated-tag", ".html", b"<p class='" + b"a" * 100_000, "any")
    c.add(
        "attribute-flood",
        ".html",
        b"<p " + b" ".join(b"a%d=v" % i for i in range(20_000)) + b">text</p>",
        "any",
    )
    # Many small elements: trafilatura needs seconds here (minutes at 8 MB); the per-page
    # time limit that the fuzz test sets must cut it off without failing its neighbours.
    c.add(
        "slow-to-extract",
        ".html",
        b"<html><body>" + b"<div><span><a href='#'>x</a></span></div>" * 60_000 + b"</body></html>",
        "any",
    )
    c.add("markdown-as-html", ".html", b"# Title\n\nJust *markdown* text, no tags at all.\n", "any")
    c.add("crlf-only", ".txt", b"\r\n" * 1000, "fail")
    c.add("form-feeds", ".md", b"\x0c\x0b" * 1000, "fail")
    c.add("rtl-and-zero-width", ".txt", "\u200b\u200c\u200d\ufeff".encode() * 1000, "any")
    c.add("private-use", ".txt", "\ue000\uf8ff".encode() * 1000, "any")
    c.add("noncharacters", ".md", "\ufffe\uffff".encode() * 100, "any")


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # A fixed date, so the archive's bytes are the same on every run, like the rest.
        info = zipfile.ZipInfo("bomb.txt", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _odd_paths(c: _Corpus) -> list[str]:
    """Inputs that are not plain files; returned as raw input strings (each one outcome)."""
    special = c.root / "special"
    special.mkdir()
    fifo = special / "pipe.txt"
    os.mkfifo(fifo)
    (special / "dev-zero.txt").symlink_to("/dev/zero")
    (special / "loop.txt").symlink_to(special / "loop.txt")
    (special / "dir.txt").mkdir()
    (special / "no-extension").write_bytes(PROSE.encode())
    (special / "archive.zip").write_bytes(_zip(PROSE.encode()))
    newline = special / "new\nline.txt"
    newline.write_bytes(b"\0binary")
    return [
        str(fifo),
        str(special / "dev-zero.txt"),
        str(special / "loop.txt"),
        str(special / "dir.txt"),
        str(special / "no-extension"),
        str(special / "archive.zip"),
        str(newline),
        str(c.root / "does-not-exist.txt"),
        "",
        "\0",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.txt",
        "javascript:alert(1)",
        "data:text/plain,hello",
        "gopher://127.0.0.1:70/_x",
        "http://[::1",
        "http://",
        "~nosuchuser/x.txt",
        str(c.root / ("a" * 300 + ".txt")),
    ]


def make_hostile_corpus(root: Path, seed: int = 7) -> tuple[list[Hostile], list[str]]:
    """(files with their expected outcome, raw odd inputs that must each fail once)."""
    c = _Corpus(root / "files", seed)
    for make in (
        _binary,
        _empty,
        _oversize,
        _deep_html,
        _script_only,
        _bad_encodings,
        _utf16_32,
        _nul_bytes,
        _giant_lines,
        _jsonl,
        _rss_and_archives,
        _disguised,
    ):
        make(c)
    odd = _odd_paths(_Corpus(root / "odd", seed))
    return c.items, odd
