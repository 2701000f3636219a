"""RSS and Atom feeds: read one safely, pick the entries not seen yet, remember what was seen."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import feedparser

from retrieval.articles import Article, content_hash
from retrieval.feed_dates import clamp_date, entry_date
from retrieval.fetching import FetchError
from retrieval.loading import LoadFailure, LoadOptions, iter_articles
from retrieval.sqlite_files import connect_sqlite

# An entry whose article failed this many polls in a row is not fetched again.
MAX_ATTEMPTS = 3

_ALTERNATE_FEED = re.compile(
    rb"""<link\b[^>]*\btype\s*=\s*["']application/(?:rss|atom)\+xml["'][^>]*>""", re.I
)
_HREF = re.compile(rb"""\bhref\s*=\s*["']([^"']+)["']""", re.I)

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    feed_url TEXT NOT NULL,
    key TEXT NOT NULL,
    link TEXT NOT NULL,
    updated TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'failed')),
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (feed_url, key)
);
CREATE INDEX IF NOT EXISTS entries_by_link ON entries (link);
"""

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)


class FeedError(Exception):
    """The address is not a feed, or cannot be fetched; the message says what to do."""


@dataclass(frozen=True)
class FeedEntry:
    key: str  # the entry's id (guid), else its link
    link: str
    title: str
    date: str | None
    updated: str  # changes when the publisher revises the entry
    # Hash of link, title and summary: recognizes an entry whose id the feed keeps changing.
    fingerprint: str = ""
    date_note: str = ""  # a future date clamped, an unreadable one ignored


@dataclass(frozen=True)
class Feed:
    url: str
    title: str
    entries: Sequence[FeedEntry]
    # The feed's own polling hint: RSS <ttl>, in seconds.
    ttl_s: int | None = None
    # Problems that did not stop the feed from being read (malformed XML, skipped entries).
    warnings: Sequence[str] = ()


@dataclass(frozen=True)
class FeedPoll:
    """One conditional GET of a feed: its content, or None when unchanged (HTTP 304)."""

    feed: Feed | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.feed is None


def read_feed(url: str, options: LoadOptions) -> Feed:
    """Fetch and parse an RSS or Atom feed through the safe fetcher; FeedError if it is not one."""
    feed = poll_feed(url, options).feed
    assert feed is not None  # no validators were sent, so the answer cannot be a 304
    return feed


def poll_feed(
    url: str,
    options: LoadOptions,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    now: datetime | None = None,
) -> FeedPoll:
    """Fetch a feed, conditionally when validators from the last poll are given."""
    headers = {"Accept": FEED_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        page = options.fetch(url, headers)
    except FetchError as error:
        raise FeedError(f"cannot read the feed {url}: {error.reason}") from error
    if page.not_modified:
        # Some servers omit the validators on a 304; the ones sent still hold.
        return FeedPoll(None, page.etag or etag, page.last_modified or last_modified)
    feed = parse_feed(url, page.final_url, page.body, now or datetime.now(UTC))
    return FeedPoll(feed, page.etag, page.last_modified)


def parse_feed(url: str, final_url: str, body: bytes, now: datetime) -> Feed:
    """The entries of an RSS or Atom document; FeedError when it is neither."""
    parsed = feedparser.parse(body, response_headers={"content-location": final_url})
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(_not_a_feed(url, final_url, body))
    warnings: list[str] = []
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        problem = _bozo_text(parsed["bozo_exception"])
        linked = [raw for raw in parsed.entries if str(raw.get("link") or "").strip()]
        if problem and not linked:
            # What a broken document yields without links is debris, not entries.
            raise FeedError(f"{url} is not a readable feed: {problem}; fix the feed's XML")
        if problem:
            warnings.append(f"malformed feed ({problem}); {len(linked)} entries read anyway")
    entries: dict[str, FeedEntry] = {}
    for raw in parsed.entries:
        link = raw.get("link") or ""
        link = urljoin(final_url, link.strip()) if link.strip() else ""
        key = str(raw.get("id") or link).strip()
        title = str(raw.get("title") or "").strip()
        if not key:
            key = "no-link:" + content_hash(title, str(raw.get("summary") or ""))[:16]
        if key in entries:
            continue
        # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning.
        published, revised = dict.get(raw, "published"), dict.get(raw, "updated")
        dated = entry_date(raw, now)
        updated = str(revised or published or "")
        fingerprint = content_hash(link, title, str(raw.get("summary") or ""))[:32]
        entries[key] = FeedEntry(key, link, title, dated.date, updated, fingerprint, dated.note)
    title = str(parsed.feed.get("title") or "").strip()
    return Feed(
        url=url,
        title=title,
        entries=list(entries.values()),
        ttl_s=_ttl_seconds(parsed.feed.get("ttl")),
        warnings=warnings,
    )


def _ttl_seconds(value: object) -> int | None:
    # RSS <ttl> is in minutes; nonsense (negative, text, years) is ignored.
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if 0 < minutes <= 7 * 24 * 60 else None


def _bozo_text(exception: object) -> str:
    # A declared charset that differs from the real one is harmless: feedparser copes with it.
    name = type(exception).__name__
    if name in ("CharacterEncodingOverride", "NonXMLContentType"):
        return ""
    line = getattr(exception, "getLineNumber", None)
    where = f"line {line()}: " if callable(line) else ""
    message = getattr(exception, "getMessage", None)
    text = message() if callable(message) else str(exception)
    return f"{where}{text}"[:200] or name


def _not_a_feed(url: str, final_url: str, body: bytes) -> str:
    message = f"{url} is not an RSS or Atom feed"
    stripped = body.lstrip()[:1]
    if stripped in (b"{", b"["):
        message += " (it is JSON)"
    for tag in _ALTERNATE_FEED.findall(body[:200_000]):
        href = _HREF.search(tag)
        if href:
            feed_url = urljoin(final_url, href.group(1).decode("utf-8", "replace"))
            return f"{message}; the page names its feed: newsbot ingest --feed {feed_url}"
    return f"{message}; give the feed's own address (often ending in /rss, /feed or .xml)"


class FeedLog:
    """Per collection: the entries already ingested from each feed (SQLite, one small file)."""

    def __init__(self, path: Path) -> None:
        self._db: sqlite3.Connection = connect_sqlite(path)
        self._db.executescript(SCHEMA)
        if "fingerprint" not in self._columns():
            # Files written before fingerprints existed gain the column; old rows match by key.
            # Under the write lock, and looked for again there: two feeds polled at once open
            # the same file, and the second would add the column twice.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if "fingerprint" not in self._columns():
                    self._db.execute(
                        "ALTER TABLE entries ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''"
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _columns(self) -> set[str]:
        return {row[1] for row in self._db.execute("PRAGMA table_info(entries)")}

    def close(self) -> None:
        self._db.close()

    def new_entries(self, feed: Feed) -> list[FeedEntry]:
        """Entries never ingested, revised since, or failed fewer than MAX_ATTEMPTS times.

        An entry whose id is new but whose link, title and summary match one already done is
        the same entry under a new id (some feeds make ids up on every request): not new.
        """
        rows = self._db.execute(
            "SELECT key, updated, state, attempts, fingerprint FROM entries WHERE feed_url = ?",
            (feed.url,),
        ).fetchall()
        known = {key: (updated, state, attempts) for key, updated, state, attempts, _ in rows}
        done_prints = {fp for _, _, state, _, fp in rows if state == "done" and fp}

        def wanted(entry: FeedEntry) -> bool:
            seen = known.get(entry.key)
            if seen is None:
                return entry.fingerprint not in done_prints
            if seen[0] != entry.updated:
                return True
            return seen[1] == "failed" and seen[2] < MAX_ATTEMPTS

        return [entry for entry in feed.entries if wanted(entry)]

    def done_elsewhere(self, feed_url: str, entry: FeedEntry) -> str | None:
        """The feed that already ingested this entry's link (another feed, or this one under
        another id with the same revision stamp); None if none did."""
        if not entry.link:
            return None
        row = self._db.execute(
            "SELECT feed_url FROM entries WHERE link = ? AND state = 'done'"
            " AND NOT (feed_url = ? AND key = ?)"
            " AND (feed_url != ? OR updated = ?) LIMIT 1",
            (entry.link, feed_url, entry.key, feed_url, entry.updated),
        ).fetchone()
        return None if row is None else str(row[0])

    def failure_of(self, link: str) -> str | None:
        """The reason the last failed attempt at this link (from any feed) gave, if any."""
        row = self._db.execute(
            "SELECT reason FROM entries WHERE link = ? AND state = 'failed'"
            " ORDER BY seen_at DESC LIMIT 1",
            (link,),
        ).fetchone()
        return None if row is None else str(row[0])

    def record(self, feed: Feed | str, entry: FeedEntry, failure: str | None) -> None:
        feed_url = feed if isinstance(feed, str) else feed.url
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT updated, attempts FROM entries WHERE feed_url = ? AND key = ?",
                (feed_url, entry.key),
            ).fetchone()
            # Attempts count failures of this revision of the entry only.
            attempts = row[1] if row and row[0] == entry.updated else 0
            self._db.execute(
                "INSERT OR REPLACE INTO entries"
                " (feed_url, key, link, updated, state, attempts, reason, seen_at, fingerprint)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    feed_url,
                    entry.key,
                    entry.link,
                    entry.updated,
                    "failed" if failure else "done",
                    attempts + 1 if failure else 0,
                    failure or "",
                    now,
                    entry.fingerprint,
                ),
            )


def feed_articles(
    entries: Sequence[FeedEntry], options: LoadOptions, now: datetime | None = None
) -> Iterator[Article | LoadFailure]:
    """Each entry's article, fetched by the safe loader; one result per entry, in order."""
    for entry in entries:
        yield entry_article(entry, options, now or datetime.now(UTC))


def entry_article(entry: FeedEntry, options: LoadOptions, now: datetime) -> Article | LoadFailure:
    """The article an entry links to, dated by the feed, else by the page's own metadata."""
    if not entry.link:
        return LoadFailure(entry.key, "the feed entry has no link to an article; nothing to fetch")
    result = next(iter_articles([entry.link], options), None)
    if result is None:
        return LoadFailure(entry.link, "the entry's link gave no article")
    if isinstance(result, Article):
        # The feed states the date on purpose; a page's metadata date is a guess by comparison
        # (trafilatura may take it from the text), so it only fills in when the feed has none.
        dated = entry.date or (clamp_date(result.date, now).date if result.date else None)
        if dated != result.date:
            result = dataclasses.replace(result, date=dated)
    return result
