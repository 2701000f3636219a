"""Feed subscriptions and their polling state, in one SQLite file of the data directory."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from retrieval.sqlite_files import connect_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    collection TEXT NOT NULL,
    url TEXT NOT NULL,
    owner TEXT NOT NULL,            -- 'cli' (polled by `newsbot watch`) or 'discord' (the bot)
    every_s REAL NOT NULL,
    channel_id INTEGER,             -- Discord: where new articles are announced, if anywhere
    added_at REAL NOT NULL,
    etag TEXT,
    last_modified TEXT,
    ttl_s INTEGER,
    last_poll REAL,
    last_result TEXT NOT NULL DEFAULT '',
    last_new REAL,
    new_total INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,  -- a poll in progress until then (one at a time)
    PRIMARY KEY (collection, url)
);
"""


@dataclass(frozen=True)
class Subscription:
    collection: str
    url: str
    owner: str
    every_s: float
    channel_id: int | None
    added_at: float
    etag: str | None
    last_modified: str | None
    ttl_s: int | None
    last_poll: float | None
    last_result: str
    last_new: float | None
    new_total: int
    error: str
    failures: int
    next_poll: float


@dataclass(frozen=True)
class PollRecord:
    """What one finished poll changes in its subscription's row."""

    at: float
    result: str  # e.g. "3 new", "not modified (304)", "no new entries"
    new: int
    error: str
    next_poll: float
    # The validators to send next time. A poll that left entries pending stores None, so the
    # next poll reads the whole feed again instead of being told "304, nothing changed".
    etag: str | None
    last_modified: str | None
    ttl_s: int | None


_COLUMNS = (
    "collection, url, owner, every_s, channel_id, added_at, etag, last_modified, ttl_s, "
    "last_poll, last_result, last_new, new_total, error, failures, next_poll"
)


class Subscriptions:
    """Every feed subscription of a data directory, for all collections and both owners."""

    def __init__(self, path: Path) -> None:
        self._db: sqlite3.Connection = connect_sqlite(path)
        self._db.executescript(SCHEMA)
        # One connection serves the poller's thread and the command handlers': a transaction
        # begun by one must not take in another's statements.
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self,
        url: str,
        collection: str,
        *,
        every_s: float,
        now: float,
        owner: str = "cli",
        channel_id: int | None = None,
    ) -> bool:
        """Subscribe (due at once); an existing subscription gets the new interval and channel.

        Returns True when the subscription is new.
        """
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            exists = self.get(url, collection) is not None
            if exists:
                self._db.execute(
                    "UPDATE subscriptions SET every_s = ?, channel_id = ?, owner = ?"
                    " WHERE collection = ? AND url = ?",
                    (every_s, channel_id, owner, collection, url),
                )
            else:
                self._db.execute(
                    "INSERT INTO subscriptions (collection, url, owner, every_s, channel_id,"
                    " added_at, next_poll) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (collection, url, owner, every_s, channel_id, now, now),
                )
        return not exists

    def remove(self, url: str, collection: str) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM subscriptions WHERE collection = ? AND url = ?", (collection, url)
            )
        return cursor.rowcount > 0

    def get(self, url: str, collection: str) -> Subscription | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM subscriptions WHERE collection = ? AND url = ?",
                (collection, url),
            ).fetchone()
        return None if row is None else Subscription(*row)

    def all(
        self, *, collections: list[str] | None = None, owner: str | None = None
    ) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM subscriptions ORDER BY collection, added_at, url"
            ).fetchall()
        subs = [Subscription(*row) for row in rows]
        return [
            s
            for s in subs
            if (collections is None or s.collection in collections)
            and (owner is None or s.owner == owner)
        ]

    def claim(self, sub: Subscription, now: float, lease_s: float) -> bool:
        """Take the right to poll `sub` now; False if another poll of it is under way.

        A lease, not a flag: a poller that crashed mid-poll frees it when the lease ends.
        """
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE subscriptions SET lease_until = ?"
                " WHERE collection = ? AND url = ? AND lease_until <= ?",
                (now + lease_s, sub.collection, sub.url, now),
            )
        return cursor.rowcount > 0

    def extend(self, sub: Subscription, until: float) -> None:
        """Keep the lease of a poll that is still under way (storing takes its time)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE subscriptions SET lease_until = MAX(lease_until, ?)"
                " WHERE collection = ? AND url = ?",
                (until, sub.collection, sub.url),
            )

    def release(self, sub: Subscription) -> None:
        with self._lock, self._db:
            self._db.execute(
                "UPDATE subscriptions SET lease_until = 0 WHERE collection = ? AND url = ?",
                (sub.collection, sub.url),
            )

    def record_poll(self, sub: Subscription, poll: PollRecord) -> None:
        """Store a poll's outcome; a subscription removed meanwhile stays removed."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE subscriptions SET last_poll = ?, last_result = ?,"
                " last_new = CASE WHEN ? > 0 THEN ? ELSE last_new END,"
                " new_total = new_total + ?, error = ?,"
                " failures = CASE WHEN ? != '' THEN failures + 1 ELSE 0 END,"
                " next_poll = ?, etag = ?, last_modified = ?,"
                " ttl_s = COALESCE(?, ttl_s), lease_until = 0"
                " WHERE collection = ? AND url = ?",
                (
                    poll.at,
                    poll.result,
                    poll.new,
                    poll.at,
                    poll.new,
                    poll.error,
                    poll.error,
                    poll.next_poll,
                    poll.etag,
                    poll.last_modified,
                    poll.ttl_s,
                    sub.collection,
                    sub.url,
                ),
            )
