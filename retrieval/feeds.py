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

from retrieval.articles import Article
from retrieval.embedding_cache import connect_sqlite
from retrieval.fetching import FetchError
from retrieval.loading import LoadFailure, LoadOptions, iter_articles, normalize_date

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
    PRIMARY KEY (feed_url, key)
);
"""


class FeedError(Exception):
    """The address is not a feed, or cannot be fetched; the message says what to do."""


@dataclass(frozen=True)
class FeedEntry:
    key: str  # the entry's id (guid), else its link
    link: str
    title: str
    date: str | None
    updated: str  # changes when the publisher revises the entry


@dataclass(frozen=True)
class Feed:
    url: str
    title: str
    entries: Sequence[FeedEntry]


def read_feed(url: str, options: LoadOptions) -> Feed:
    """Fetch and parse an RSS or Atom feed through the safe fetcher; FeedError if it is not one."""
    try:
        page = options.fetch(url)
    except FetchError as error:
        raise FeedError(f"cannot read the feed {url}: {error.reason}") from error
    parsed = feedparser.parse(page.body, response_headers={"content-location": page.final_url})
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(_not_a_feed(url, page.final_url, page.body))
    entries: dict[str, FeedEntry] = {}
    for raw in parsed.entries:
        link = raw.get("link") or ""
        link = urljoin(page.final_url, link.strip()) if link.strip() else ""
        key = str(raw.get("id") or link).strip()
        if not key or key in entries:
            continue
        # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning.
        published, revised = dict.get(raw, "published"), dict.get(raw, "updated")
        date = normalize_date(published or revised)
        updated = str(revised or published or "")
        entries[key] = FeedEntry(key, link, str(raw.get("title") or "").strip(), date, updated)
    title = str(parsed.feed.get("title") or "").strip()
    return Feed(url=url, title=title, entries=list(entries.values()))


def _not_a_feed(url: str, final_url: str, body: bytes) -> str:
    message = f"{url} is not an RSS or Atom feed"
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

    def close(self) -> None:
        self._db.close()

    def new_entries(self, feed: Feed) -> list[FeedEntry]:
        """Entries never ingested, revised since, or failed fewer than MAX_ATTEMPTS times."""
        rows = self._db.execute(
            "SELECT key, updated, state, attempts FROM entries WHERE feed_url = ?", (feed.url,)
        ).fetchall()
        known = {key: (updated, state, attempts) for key, updated, state, attempts in rows}

        def wanted(entry: FeedEntry) -> bool:
            seen = known.get(entry.key)
            if seen is None or seen[0] != entry.updated:
                return True
            return seen[1] == "failed" and seen[2] < MAX_ATTEMPTS

        return [entry for entry in feed.entries if wanted(entry)]

    def record(self, feed: Feed, entry: FeedEntry, failure: str | None) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT updated, attempts FROM entries WHERE feed_url = ? AND key = ?",
                (feed.url, entry.key),
            ).fetchone()
            # Attempts count failures of this revision of the entry only.
            attempts = row[1] if row and row[0] == entry.updated else 0
            self._db.execute(
                "INSERT OR REPLACE INTO entries"
                " (feed_url, key, link, updated, state, attempts, reason, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    feed.url,
                    entry.key,
                    entry.link,
                    entry.updated,
                    "failed" if failure else "done",
                    attempts + 1 if failure else 0,
                    failure or "",
                    now,
                ),
            )


def feed_articles(
    entries: Sequence[FeedEntry], options: LoadOptions
) -> Iterator[Article | LoadFailure]:
    """Each entry's article, fetched by the safe loader; one result per entry, in order."""
    for entry in entries:
        if not entry.link:
            yield LoadFailure(entry.key, "the feed entry has no link to an article")
            continue
        result = next(iter_articles([entry.link], options), None)
        if result is None:
            yield LoadFailure(entry.link, "the entry's link gave no article")
            continue
        if isinstance(result, Article) and not result.date and entry.date:
            # Pages often hide their date; the feed states it, and date filters need it.
            result = dataclasses.replace(result, date=entry.date)
        yield result
