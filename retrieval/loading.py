"""Turn files, directories and URLs into Articles, reporting each bad item instead of raising."""

from __future__ import annotations

import codecs
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import yaml

from retrieval.articles import Article
from retrieval.fetching import FetchedPage, FetchError, fetch_url, human_size
from retrieval.language import detect_language
from retrieval.time_limit import HelperCrashed, HelperProcess, TimeLimitExceeded

MAX_TITLE_CHARS = 200

TEXT_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
LOADABLE_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
_SUFFIX_LIST = ".txt, .md, .markdown, .html, .htm and .jsonl"

_HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_MAX_BYTES_HINT = "raise NEWSBOT_MAX_DOWNLOAD_BYTES to allow it"

_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#+\s*(.*?)(?:\s+#+)?\s*$")
# A Markdown file's leading YAML block ("front matter"), as static site generators write it.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
MAX_FRONT_MATTER_CHARS = 16_000
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Half of a UTF-16 surrogate pair: only JSON escapes can put one in a str.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0/C1 control characters other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Real text has almost none; decoded binary has plenty.
_MAX_CONTROL_RATIO = 0.01

# Checked in this order: a UTF-32 little-endian BOM begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
)


@dataclass(frozen=True)
class LoadFailure:
    """One input, file, JSONL line or URL that did not become an Article, and why."""

    source: str  # path, "path:LINE" for a JSONL line, or URL
    reason: str  # what was wrong and what to do


@dataclass(frozen=True)
class LoadOptions:
    timeout_s: float = 15.0
    max_bytes: int = 10_000_000  # per file / per download
    allow_private_urls: bool = False
    # Loopback only (127.0.0.0/8, ::1): a feed server on this machine, never the private ranges.
    allow_loopback_urls: bool = False
    # Per HTML page: trafilatura needs minutes on some 10 MB pages of many small elements.
    extract_timeout_s: float = 30.0

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> FetchedPage:
        """The page at `url` through the safe fetcher, within these limits; FetchError if not."""
        return fetch_url(
            url,
            timeout_s=self.timeout_s,
            max_bytes=self.max_bytes,
            allow_private=self.allow_private_urls,
            allow_loopback=self.allow_loopback_urls,
            headers=headers,
        )


DEFAULT_OPTIONS = LoadOptions()

LoadResult = Article | LoadFailure


class _BadInput(Exception):
    """A file that cannot become an article (too large, not text); the message is the reason."""


def iter_articles(
    inputs: Sequence[str], options: LoadOptions = DEFAULT_OPTIONS
) -> Iterator[Article | LoadFailure]:
    """Yield an Article or a LoadFailure for every file, JSONL record or URL in `inputs`.

    Inputs are file paths, directories (searched recursively for .txt, .md, .markdown, .html,
    .htm and .jsonl files, skipping hidden ones) or http(s) URLs. Nothing is raised for bad
    input: each problem becomes a LoadFailure and loading goes on with the next item.
    """
    for raw in inputs:
        if not raw.strip():
            # Path("") is the current directory: an empty argument must not ingest it all.
            yield LoadFailure(raw, "empty input; give a file path, directory or http(s) URL")
        elif _URL_LIKE.match(raw):
            yield from _guarded(raw, partial(_load_url_items, raw, options))
        else:
            yield from _guarded(raw, partial(_load_path_input, raw, options))


def _guarded(source: str, load: Callable[[], Iterator[LoadResult]]) -> Iterator[LoadResult]:
    # A bug or a library crash on one item becomes that item's failure; the others still load.
    try:
        yield from load()
    except Exception as exc:
        yield LoadFailure(
            source,
            f"unexpected error while loading ({type(exc).__name__}: {exc}); please report it",
        )


# --- paths ---------------------------------------------------------------------------------


def _load_path_input(raw: str, options: LoadOptions) -> Iterator[LoadResult]:
    try:
        path = Path(raw).expanduser()
        exists = path.exists()
        if exists:
            path = path.resolve()
    except RuntimeError:  # "~nosuchuser/..." names no home directory
        yield LoadFailure(raw, "no such user's home directory; check the path")
        return
    except OSError as exc:  # e.g. a file name longer than the file system allows
        yield LoadFailure(raw, f"cannot use this path ({exc.strerror or exc}); check it")
        return
    if not exists:
        yield LoadFailure(
            raw, f"no such file or directory (looked for {path.absolute()}); check the path"
        )
        return
    if path.is_dir():
        found = False
        for item in _walk(path):
            found = True
            if isinstance(item, LoadFailure):
                yield item
            else:
                yield from _guarded(str(item), partial(_load_file, item, options))
        if not found:
            yield LoadFailure(str(path), f"no {_SUFFIX_LIST} files found in this directory")
        return
    if not path.is_file():
        # A FIFO or device would block or never end; only regular files hold articles.
        yield LoadFailure(str(path), "not a regular file or directory; give a file path instead")
        return
    if path.suffix.lower() not in LOADABLE_SUFFIXES:
        yield LoadFailure(
            str(path),
            f"unsupported file type {path.suffix or '(no extension)'!r}: "
            f"newsbot loads {_SUFFIX_LIST} files",
        )
        return
    yield from _load_file(path, options)


def _walk(directory: Path) -> Iterator[Path | LoadFailure]:
    # Sorted so repeated loads of the same tree report in the same order. Symlinked directories
    # are not followed, which also rules out loops.
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield LoadFailure(str(directory), f"cannot list directory ({exc.strerror or exc})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path))
            elif entry.is_file() and Path(entry.name).suffix.lower() in LOADABLE_SUFFIXES:
                yield Path(entry.path)
        except OSError as exc:
            yield LoadFailure(entry.path, f"cannot read ({exc.strerror or exc})")


def _load_file(path: Path, options: LoadOptions) -> Iterator[LoadResult]:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _load_jsonl(path, options)
        return
    source = str(path)
    try:
        data = _read_limited(path, options.max_bytes)
    except _BadInput as exc:
        yield LoadFailure(source, str(exc))
        return
    except OSError as exc:
        yield LoadFailure(source, f"cannot read the file ({exc.strerror or exc})")
        return
    declared = _sniff_meta_charset(data) if suffix in HTML_SUFFIXES else None
    try:
        text = _decode(data, declared=declared, noun="file")
    except _BadInput as exc:
        yield LoadFailure(source, str(exc))
        return
    if suffix in HTML_SUFFIXES:
        yield _html_article(
            text,
            source,
            page_url=None,
            fallback_title=path.stem,
            noun="file",
            timeout_s=options.extract_timeout_s,
        )
    else:
        yield _text_article(
            text, source, fallback_title=path.stem, markdown=suffix in MARKDOWN_SUFFIXES
        )


def _read_limited(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise _BadInput(_too_large(size, max_bytes))
    with path.open("rb") as f:
        # Read one byte past the limit: the file may have grown since stat().
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _BadInput(_too_large(len(data), max_bytes))
    return data


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"file is {human_size(size)}, over the {human_size(max_bytes)} limit; "
        f"split it or {_MAX_BYTES_HINT}"
    )


# --- decoding ------------------------------------------------------------------------------


def _decode(data: bytes, *, declared: str | None, noun: str) -> str:
    """Decode bytes to text: BOM, then UTF-8, then the declared charset, then a best guess."""
    if not data.strip():
        raise _BadInput(f"empty {noun}")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise _BadInput(
                    f"binary or undecodable {noun}: it starts with a {name} byte-order mark but "
                    f"is not valid {name} ({exc.reason} at byte {exc.start + len(bom)})"
                ) from exc
            return _checked_text(text, noun)
    if b"\x00" in data:
        raise _BadInput(
            f"binary or undecodable {noun}: it contains NUL bytes, so it is not a text file"
        )
    # UTF-8 comes before a declared charset: non-ASCII text that happens to be valid UTF-8 is
    # almost always UTF-8, while declared charsets are often wrong.
    for codec in ("utf-8", _usable_codec(declared)):
        if codec is None:
            continue
        try:
            return _checked_text(data.decode(codec), noun)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise _BadInput(
            f"binary or undecodable {noun}: it is not UTF-8 and no other text encoding fits; "
            "if it is text, convert it to UTF-8"
        )
    return _checked_text(str(best), noun)


def _usable_codec(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None
    # As browsers do: pages labelled Latin-1 or ASCII are in practice Windows-1252.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _checked_text(text: str, noun: str) -> str:
    if "\x00" in text:
        raise _BadInput(
            f"binary or undecodable {noun}: it contains NUL characters, so it is not a text file"
        )
    if len(_CONTROL_CHARS.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        raise _BadInput(f"binary or undecodable {noun}: too many control characters for text")
    if not text.strip():
        raise _BadInput(f"empty {noun}")
    return text


def _sniff_meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_bytes(
    data: bytes, filename: str, source: str, options: LoadOptions
) -> list[Article | LoadFailure]:
    """Load bytes as the file `filename` would load, naming what they hold after `source`.

    For uploads: a JSONL upload's records become `source#id` (or `source:line`), and failure
    reasons name `filename`, never the temporary file that holds the bytes meanwhile.
    """
    if not filename or filename in (".", "..") or "/" in filename or "\\" in filename:
        raise ValueError(f"filename must be a plain file name, not {filename!r}")
    with tempfile.TemporaryDirectory(prefix="newsbot-upload-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        loaded = list(iter_articles([str(path)], options))
        local = str(path.resolve())
    renamed: list[Article | LoadFailure] = []
    for item in loaded:
        new_source = item.source.replace(local, source, 1)
        if isinstance(item, LoadFailure):
            renamed.append(LoadFailure(new_source, item.reason.replace(local, filename)))
        else:
            renamed.append(replace(item, source=new_source))
    return renamed


# --- building articles ---------------------------------------------------------------------


def _title_from_text(text: str, *, markdown: bool) -> str:
    """The first non-empty line if it is short enough to be a title, else ""."""
    match = re.search(r"\S", text)
    if match is None:
        return ""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.start())
    line = text[start : end if end != -1 else len(text)].strip()
    if markdown:
        heading = _MARKDOWN_HEADING.match(line)
        if heading:
            line = heading.group(1).strip()
    # A rule ("---", "***") or a line of symbols names nothing.
    return line if len(line) <= MAX_TITLE_CHARS and re.search(r"\w", line) else ""


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """The scalar fields of a leading YAML block, and the text after it.

    A block that is not a YAML mapping (a "---" rule above a paragraph, broken YAML) is left in
    the text as written. Only strings and dates are kept: anything else, such as a list built
    from YAML aliases, is never turned into text.
    """
    match = _FRONT_MATTER.match(text, 0, MAX_FRONT_MATTER_CHARS)
    if match is None:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    fields = {
        str(key).strip().lower(): value if isinstance(value, str) else value.isoformat()
        for key, value in data.items()
        if isinstance(value, str | date)
    }
    return fields, text[match.end() :]


def _text_article(
    text: str,
    source: str,
    *,
    fallback_title: str,
    markdown: bool,
    url: str | None = None,
) -> Article:
    # The text is kept untrimmed: citation offsets index into exactly this string. Front
    # matter is metadata, not article text, so it is never quoted.
    text = _normalize_newlines(text)
    meta, text = _front_matter(text) if markdown else ({}, text)
    lang = meta.get("lang") or meta.get("language") or ""
    lang = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    link = meta.get("url") or meta.get("link") or meta.get("canonical_url") or meta.get("canonical")
    return Article(
        text=text,
        source=source,
        title=(meta.get("title") or "").strip()[:MAX_TITLE_CHARS]
        or _title_from_text(text, markdown=markdown)
        or fallback_title,
        url=url or _absolute_http_url(link, base=None),
        date=normalize_date(meta.get("date") or meta.get("published")),
        lang=lang if re.fullmatch(r"[a-z]{2,3}", lang) else detect_language(text),
    )


def _import_trafilatura() -> None:
    import trafilatura  # noqa: F401  (half a second: paid once, when the helper starts)


# One helper process per loader process, started on the first HTML input.
_HTML_HELPER = HelperProcess(warm_up=_import_trafilatura)


def _extract_html(html: str, page_url: str | None) -> dict[str, str | None]:
    """Main text and metadata of a page; runs in the helper process, so returns plain data."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=page_url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
    )
    fields = ("text", "title", "author", "sitename", "url", "date")
    return {
        key: value if isinstance(value := getattr(document, key, None), str) else None
        for key in fields
    }


def _html_article(
    html: str,
    source: str,
    *,
    page_url: str | None,
    fallback_title: str,
    noun: str,
    timeout_s: float = DEFAULT_OPTIONS.extract_timeout_s,
) -> LoadResult:
    try:
        document = _HTML_HELPER.call(timeout_s, _extract_html, html, page_url)
    except TimeLimitExceeded:
        return LoadFailure(
            source,
            f"the HTML {noun} took longer than {timeout_s:g} s to parse and was skipped; "
            "save its text as a .txt file instead",
        )
    except HelperCrashed as exc:  # a parser crash on one page is that page's failure only
        return LoadFailure(source, f"could not parse the HTML {noun} ({exc})")
    text = _normalize_newlines(document["text"] or "")
    if not text.strip():
        return LoadFailure(
            source, "no article text found in the HTML (is it a page of links or scripts?)"
        )
    title = (document["title"] or "").strip()
    extra = {
        key: value.strip()
        for key in ("author", "sitename")
        if (value := document[key]) is not None and value.strip()
    }
    return Article(
        text=text,
        source=source,
        title=title or _title_from_text(text, markdown=False) or fallback_title,
        url=_absolute_http_url(document["url"], base=page_url) or page_url,
        date=normalize_date(document["date"]),
        lang=detect_language(text),
        extra=extra,
    )


def _absolute_http_url(candidate: object, *, base: str | None) -> str | None:
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    url = urljoin(base, candidate.strip()) if base else candidate.strip()
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc else None


def normalize_date(value: object) -> str | None:
    """An ISO `YYYY-MM-DD` date for `value` when it reads as a calendar date, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


# --- URLs ----------------------------------------------------------------------------------


def _load_url_items(url: str, options: LoadOptions) -> Iterator[LoadResult]:
    yield _load_url(url, options)


def _load_url(url: str, options: LoadOptions) -> LoadResult:
    try:
        page = options.fetch(url)
    except FetchError as exc:
        return LoadFailure(url, exc.reason)
    media_type = page.content_type.split(";", 1)[0].strip().lower()
    is_html = media_type in _HTML_MEDIA_TYPES or (
        not media_type and page.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    )
    if not is_html and media_type != "text/plain":
        return LoadFailure(
            url,
            f"unsupported content type {media_type or '(none given)'}: "
            "only HTML and plain-text pages can be loaded",
        )
    declared = page.encoding or (_sniff_meta_charset(page.body) if is_html else None)
    try:
        text = _decode(page.body, declared=declared, noun="page")
    except _BadInput as exc:
        return LoadFailure(url, str(exc))
    fallback_title = _title_from_url(page.final_url)
    if is_html:
        return _html_article(
            text,
            url,
            page_url=page.final_url,
            fallback_title=fallback_title,
            noun="page",
            timeout_s=options.extract_timeout_s,
        )
    return _text_article(
        text, url, fallback_title=fallback_title, markdown=False, url=page.final_url
    )


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return last or parts.netloc


# --- JSON Lines ----------------------------------------------------------------------------


def _jsonl_lines(f: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its newline), or None for a line longer than `max_bytes`."""
    line_no = 0
    while True:
        # Bounded reads: one huge line must not be read into memory whole.
        chunk = f.readline(max_bytes + 2)
        if not chunk:
            return
        line_no += 1
        if len(chunk) == max_bytes + 2 and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = f.readline(1 << 20)
            yield line_no, None
            continue
        line = chunk.removesuffix(b"\n").removesuffix(b"\r")
        yield line_no, (line if len(line) <= max_bytes else None)


def _load_jsonl(path: Path, options: LoadOptions) -> Iterator[LoadResult]:
    seen_ids: dict[str, int] = {}
    any_line = False
    try:
        with path.open("rb") as f:
            for line_no, line in _jsonl_lines(f, options.max_bytes):
                if line is None:
                    yield LoadFailure(
                        f"{path}:{line_no}",
                        f"line longer than {human_size(options.max_bytes)}; "
                        f"split the record or {_MAX_BYTES_HINT}",
                    )
                    continue
                if line_no == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if not line.strip():
                    continue  # blank lines, such as a trailing one, carry no record
                any_line = True
                yield _jsonl_record(path, line_no, line, seen_ids)
    except OSError as exc:
        yield LoadFailure(str(path), f"cannot read the file ({exc.strerror or exc})")
        return
    if not any_line:
        yield LoadFailure(str(path), "empty file")


def _jsonl_record(path: Path, line_no: int, line: bytes, seen_ids: dict[str, int]) -> LoadResult:
    where = f"{path}:{line_no}"
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LoadFailure(
            where,
            f"not valid UTF-8 (byte {exc.start + 1} of the line); "
            "JSON Lines files must be UTF-8, re-save the file as UTF-8",
        )
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return LoadFailure(
            where,
            f"invalid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object",
        )
    except RecursionError:
        # Thousands of nested brackets exhaust the parser's stack; the next line is unaffected.
        return LoadFailure(where, "JSON nested too deeply; each line must be one flat JSON object")
    if not isinstance(record, dict):
        return LoadFailure(
            where, f'expected a JSON object with a "text" field, got {_json_type(record)}'
        )
    for key in ("text", "title", "url", "date", "published", "lang", "id"):
        # JSON may escape half of a surrogate pair ("\\ud800"), which no UTF-8 store accepts;
        # left in, it crashed the ingest or made the whole batch of articles fail to store.
        value = record.get(key)
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            return LoadFailure(
                where,
                f'the "{key}" field holds an invalid Unicode escape (half of a surrogate pair); '
                "fix the text encoding of this record",
            )
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        problem = (
            "missing" if text is None else "empty" if isinstance(text, str) else "not a string"
        )
        return LoadFailure(where, f'the "text" field is {problem}; every record needs its text')

    record_id = record.get("id")
    has_id = isinstance(record_id, str | int) and not isinstance(record_id, bool)
    record_id = str(record_id).strip() if has_id else ""
    if record_id:
        # Sources identify articles for updates and forgetting, so two records must not share one.
        if record_id in seen_ids:
            return LoadFailure(
                where,
                f"duplicate id {record_id!r} (first used on line {seen_ids[record_id]}); "
                "ids must be unique within a file",
            )
        seen_ids[record_id] = line_no
    text = _normalize_newlines(text)
    title = record.get("title")
    title = title.strip() if isinstance(title, str) else ""
    url = record.get("url")
    lang = record.get("lang")
    lang = lang.strip().lower().replace("_", "-").split("-", 1)[0] if isinstance(lang, str) else ""
    return Article(
        text=text,
        source=f"{path}#{record_id}" if record_id else where,
        title=title or _title_from_text(text, markdown=False),
        url=url.strip() if isinstance(url, str) and url.strip() else None,
        date=normalize_date(record.get("date") or record.get("published")),
        lang=lang or detect_language(text),
        extra={"id": record_id} if record_id else {},
    )


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
