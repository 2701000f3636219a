"""Feed subscriptions for the CLI and Discord: add, list, remove, and one polling cycle.

A cycle fetches the due feeds and their new articles concurrently (a small thread pool, one
poll per feed at a time) and ingests the results one feed at a time through the NewsService,
since embedding is the slow part they share. Every entry's outcome is recorded as soon as it is
stored, so an interrupted cycle is resumed by the next one without fetching anything twice.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from bot.errors import UserError
from bot.feed_schedule import next_delay
from bot.service import IngestItem, NewsService
from retrieval.articles import Article
from retrieval.feeds import (
    Feed,
    FeedEntry,
    FeedError,
    FeedLog,
    FeedPoll,
    entry_article,
    poll_feed,
)
from retrieval.loading import LoadFailure, LoadOptions
from retrieval.subscriptions import PollRecord, Subscription, Subscriptions
from retrieval.vector_index import StoreError, check_collection_name

Owner = Literal["cli", "discord"]
Status = Literal["new", "no new entries", "not modified", "error", "interrupted"]


@dataclass(frozen=True)
class NewArticle:
    """An article a poll stored (added or updated), for announcements and reports."""

    title: str
    source: str
    url: str | None
    date: str | None
    feed_url: str
    collection: str
    channel_id: int | None


@dataclass
class FeedResult:
    """One feed's poll in a cycle, as `watch` prints it and Discord announces it."""

    url: str
    collection: str
    status: Status
    channel_id: int | None = None
    error: str = ""
    new: list[NewArticle] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (entry link or id, reason)
    duplicates: int = 0  # entries whose link another feed (or an earlier id) already stored
    unchanged: int = 0  # entries whose article was already stored as it is
    pending: int = 0  # entries left for the next poll (interrupted, or over the time budget)
    notes: list[str] = field(default_factory=list)  # dates clamped or unreadable, bad XML

    @property
    def summary(self) -> str:
        """One line: what happened, and what went wrong."""
        if self.status == "error":
            return f"error: {self.error}"
        if self.status == "not modified":
            return "not modified (304)"
        parts = [f"{len(self.new)} new" if self.new or self.pending else "no new entries"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already stored from another feed")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.failed:
            parts.append(f"{len(self.failed)} failed (first: {self.failed[0][1]})")
        if self.pending:
            parts.append(f"{self.pending} left for the next poll")
        if self.notes:
            parts.append("; ".join(_count_notes(self.notes)))
        return ", ".join(parts)


@dataclass
class CycleReport:
    feeds: list[FeedResult]
    seconds: float
    interrupted: bool = False

    @property
    def new(self) -> list[NewArticle]:
        return [article for result in self.feeds for article in result.new]


@dataclass(frozen=True)
class _Duplicate:
    feed_url: str  # the feed that already stored this entry's link


@dataclass
class _Fetched:
    """What a worker hands to the ingesting thread for one feed."""

    sub: Subscription
    poll: FeedPoll | None = None
    error: str = ""
    ready: list[tuple[FeedEntry, Article | LoadFailure | _Duplicate]] = field(default_factory=list)
    # Entries whose link another feed of this cycle is fetching: settled after everything.
    deferred: list[FeedEntry] = field(default_factory=list)
    pending: int = 0


def _count_notes(notes: Sequence[str]) -> list[str]:
    # "future date 2031-01-01 clamped to …" x 3 -> "3 future dates clamped"
    kinds = {"future date": 0, "unreadable date": 0, "no date": 0, "other": 0}
    others = []
    for note in notes:
        kind = next((k for k in kinds if note.startswith(k)), "other")
        kinds[kind] += 1
        if kind == "other":
            others.append(note)
    words = []
    if kinds["future date"]:
        words.append(f"{kinds['future date']} future date(s) clamped to the poll day")
    if kinds["unreadable date"]:
        words.append(f"{kinds['unreadable date']} unreadable date(s) ignored")
    if kinds["no date"]:
        words.append(f"{kinds['no date']} without a date in the feed")
    return words + others


def check_feed_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(
            f"{url!r} is not a feed address: give an http(s) URL of an RSS or Atom feed"
        )
    return url


class FeedService:
    """Subscriptions of one data directory, polled through one NewsService."""

    def __init__(
        self,
        news: NewsService,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.news = news
        self.settings = news.settings
        # Wall-clock seconds; tests pass their own to move time forward without waiting.
        self.clock = clock
        self.rng = rng or random.Random()
        self.subscriptions = Subscriptions(
            self.settings.data_dir / "feeds" / "subscriptions.sqlite"
        )
        self._cycle_lock = threading.Lock()

    def close(self) -> None:
        self.subscriptions.close()

    # --- managing --------------------------------------------------------------------------
    def add(
        self,
        url: str,
        *,
        collection: str | None = None,
        every_s: float | None = None,
        owner: Owner = "cli",
        channel_id: int | None = None,
    ) -> tuple[Subscription, bool]:
        """Subscribe `collection` to a feed (polled at once); True if it is a new subscription."""
        url = check_feed_url(url)
        name = collection or self.settings.collection
        try:
            check_collection_name(name)
        except StoreError as error:
            raise UserError(str(error)) from error
        every = self.settings.feed_every_s if every_s is None else every_s
        created = self.subscriptions.add(
            url, name, every_s=every, now=self.clock(), owner=owner, channel_id=channel_id
        )
        sub = self.subscriptions.get(url, name)
        assert sub is not None
        return sub, created

    def remove(self, url: str, *, collection: str | None = None) -> bool:
        """Unsubscribe; the articles already stored stay (`newsbot forget` removes them)."""
        return self.subscriptions.remove(url.strip(), collection or self.settings.collection)

    def list(
        self, *, collections: Sequence[str] | None = None, owner: Owner | None = None
    ) -> list[Subscription]:
        return self.subscriptions.all(
            collections=list(collections) if collections is not None else None, owner=owner
        )

    def seconds_until_due(self, *, owner: Owner | None = None) -> float | None:
        """How long until the next subscription is due; None when there is none."""
        subs = self.list(owner=owner)
        if not subs:
            return None
        return max(0.0, min(s.next_poll for s in subs) - self.clock())

    # --- polling ---------------------------------------------------------------------------
    def options_for(self, sub: Subscription) -> LoadOptions:
        # Discord users never reach private addresses, whatever the command line may allow;
        # loopback only if the operator allows it explicitly (a feed server on the same host).
        private = False if sub.owner == "discord" else None
        options = self.news.load_options(private)
        if sub.owner == "discord":
            options = dataclasses.replace(
                options, allow_loopback_urls=self.settings.allow_loopback_urls
            )
        return options

    def run_cycle(
        self,
        *,
        owner: Owner | None = None,
        collections: Sequence[str] | None = None,
        force: bool = False,
        stop: threading.Event | None = None,
        on_feed: Callable[[FeedResult], None] | None = None,
    ) -> CycleReport:
        """Poll every due subscription (all of them with `force`) once; see the module doc."""
        started = time.monotonic()
        stop = stop or threading.Event()
        with self._cycle_lock:
            now = self.clock()
            subs = [
                s
                for s in self.list(collections=collections, owner=owner)
                if force or s.next_poll <= now
            ]
            subs = [s for s in subs if self.subscriptions.claim(s, now, self._lease_s)]
            results: list[FeedResult] = []
            try:
                self._poll_all(subs, stop, results, on_feed)
            finally:
                # Whatever was not recorded (interrupted) is polled again at once next time.
                for sub in subs:
                    self.subscriptions.release(sub)
        return CycleReport(results, time.monotonic() - started, interrupted=stop.is_set())

    @property
    def _lease_s(self) -> float:
        return self.settings.feed_poll_budget_s + 2 * self.settings.url_timeout_s + 60

    def _poll_all(
        self,
        subs: list[Subscription],
        stop: threading.Event,
        results: list[FeedResult],
        on_feed: Callable[[FeedResult], None] | None,
    ) -> None:
        claimed: set[tuple[str, str]] = set()
        claim_lock = threading.Lock()
        waiting: list[tuple[_Fetched, FeedResult]] = []
        pool = ThreadPoolExecutor(
            max_workers=min(self.settings.feed_workers, max(1, len(subs))),
            thread_name_prefix="feed-poll",
        )
        try:
            futures: dict[Future[_Fetched], Subscription] = {
                pool.submit(self._fetch, sub, claimed, claim_lock, stop): sub for sub in subs
            }
            for future in as_completed(futures):
                # After a stop, workers return at once and nothing more is stored: each feed's
                # poll is recorded with its entries pending, to be fetched on the next start.
                try:
                    fetched = future.result()
                except Exception as error:  # a bug in one feed's poll must not stop the others
                    fetched = _Fetched(futures[future], error=_unexpected(error))
                # Storing takes its time, and the feeds still waiting keep their leases.
                for sub in subs:
                    self.subscriptions.extend(sub, self.clock() + self._lease_s)
                result = self._ingest(fetched, stop)
                if fetched.deferred:
                    waiting.append((fetched, result))
                    continue
                self._finish(fetched, result)
                results.append(result)
                if on_feed:
                    on_feed(result)
            for fetched, result in waiting:
                self._settle_deferred(fetched, result)
                self._finish(fetched, result)
                results.append(result)
                if on_feed:
                    on_feed(result)
        finally:
            # Fetches under way end within their timeout; nothing waits for them on a stop.
            pool.shutdown(wait=not stop.is_set(), cancel_futures=True)

    def _fetch(
        self,
        sub: Subscription,
        claimed: set[tuple[str, str]],
        claim_lock: threading.Lock,
        stop: threading.Event,
    ) -> _Fetched:
        """Runs on a worker thread: the feed, then the articles of its new entries."""
        fetched = _Fetched(sub)
        if stop.is_set():
            return fetched
        options = self.options_for(sub)
        now = datetime.fromtimestamp(self.clock(), UTC)
        deadline = time.monotonic() + self.settings.feed_poll_budget_s
        try:
            poll = poll_feed(
                sub.url, options, etag=sub.etag, last_modified=sub.last_modified, now=now
            )
        except FeedError as error:
            fetched.error = str(error).replace(f"cannot read the feed {sub.url}: ", "")
            return fetched
        except Exception as error:  # a parser bug must not stop the other feeds
            fetched.error = _unexpected(error)
            return fetched
        fetched.poll = poll
        if poll.feed is None:
            return fetched
        log = self._log(sub.collection)
        try:
            entries = log.new_entries(poll.feed)
            for index, entry in enumerate(entries):
                if stop.is_set() or time.monotonic() > deadline:
                    fetched.pending += len(entries) - index
                    break
                elsewhere = log.done_elsewhere(sub.url, entry)
                if elsewhere:
                    fetched.ready.append((entry, _Duplicate(elsewhere)))
                    continue
                if entry.link:
                    with claim_lock:
                        mine = (sub.collection, entry.link) not in claimed
                        claimed.add((sub.collection, entry.link))
                    if not mine:
                        fetched.deferred.append(entry)
                        continue
                fetched.ready.append((entry, entry_article(entry, options, now)))
        finally:
            log.close()
        return fetched

    def _log(self, collection: str) -> FeedLog:
        return FeedLog(self.settings.data_dir / "feeds" / f"{collection}.sqlite")

    def _ingest(self, fetched: _Fetched, stop: threading.Event) -> FeedResult:
        """Runs on the polling thread: store the fetched articles, recording each entry."""
        sub = fetched.sub
        result = FeedResult(sub.url, sub.collection, "new", channel_id=sub.channel_id)
        if fetched.poll is None:
            result.status = "interrupted" if not fetched.error else "error"
            result.error = fetched.error
            return result
        feed = fetched.poll.feed
        if feed is None:
            result.status = "not modified"
            return result
        result.notes.extend(feed.warnings)
        log = self._log(sub.collection)
        in_order: deque[tuple[FeedEntry, Article | LoadFailure]] = deque()

        def items() -> Iterator[Article | LoadFailure]:
            for index, (entry, article) in enumerate(fetched.ready):
                if stop.is_set():
                    result.pending += len(fetched.ready) - index
                    return
                if isinstance(article, _Duplicate):
                    log.record(sub.url, entry, None)
                    result.duplicates += 1
                    continue
                if entry.date_note:
                    result.notes.append(entry.date_note)
                in_order.append((entry, article))
                yield article

        def remember(item: IngestItem) -> None:
            entry, article = in_order.popleft()
            log.record(sub.url, entry, item.reason if item.status == "failed" else None)
            if item.status == "failed":
                result.failed.append((entry.link or entry.title or entry.key, item.reason))
            elif item.status == "unchanged":
                result.unchanged += 1
            else:
                date = article.date if isinstance(article, Article) else entry.date
                result.new.append(_new_article(item, entry, sub, date))

        try:
            self.news.ingest_articles(items(), collection=sub.collection, on_item=remember)
        finally:
            log.close()
        result.pending += fetched.pending
        if not result.new:
            result.status = "no new entries"
        return result

    def _settle_deferred(self, fetched: _Fetched, result: FeedResult) -> None:
        """Entries another feed of the cycle fetched: stored once, whichever feed did it."""
        log = self._log(fetched.sub.collection)
        try:
            for entry in fetched.deferred:
                if log.done_elsewhere(fetched.sub.url, entry):
                    log.record(fetched.sub.url, entry, None)
                    result.duplicates += 1
                    continue
                reason = log.failure_of(entry.link)
                if reason is not None:
                    log.record(fetched.sub.url, entry, reason)
                    result.failed.append((entry.link, reason))
                else:
                    result.pending += 1  # the other feed was interrupted: next poll
        finally:
            log.close()

    def _finish(self, fetched: _Fetched, result: FeedResult) -> None:
        sub = fetched.sub
        if fetched.poll is None and not fetched.error:
            return  # never polled (stopped first): it stays due
        now = self.clock()
        failures = sub.failures + 1 if result.status == "error" else 0
        feed: Feed | None = fetched.poll.feed if fetched.poll else None
        ttl_s = feed.ttl_s if feed else None
        delay = next_delay(
            sub.every_s,
            ttl_s if ttl_s is not None else sub.ttl_s,
            failures,
            max_backoff_s=self.settings.feed_max_backoff_s,
            jitter=self.settings.feed_jitter,
            rng=self.rng,
        )
        if fetched.poll is None:
            etag, modified = sub.etag, sub.last_modified
        elif result.pending:
            etag = modified = None  # read the whole feed next time: entries are waiting
            delay = 0.0
        elif result.failed:
            # Failed entries are tried again (up to MAX_ATTEMPTS) only if the next poll reads
            # the feed; a 304 would hide them until the feed changes.
            etag = modified = None
        else:
            etag, modified = fetched.poll.etag, fetched.poll.last_modified
        self.subscriptions.record_poll(
            sub,
            PollRecord(
                at=now,
                result=result.summary,
                new=len(result.new),
                error=result.error,
                next_poll=now + delay,
                etag=etag,
                last_modified=modified,
                ttl_s=ttl_s,
            ),
        )


def _unexpected(error: Exception) -> str:
    return f"unexpected error ({type(error).__name__}: {error}); please report it"


def _new_article(
    item: IngestItem, entry: FeedEntry, sub: Subscription, date: str | None
) -> NewArticle:
    return NewArticle(
        title=item.title or entry.title,
        source=item.source,
        url=entry.link or None,
        date=date,
        feed_url=sub.url,
        collection=sub.collection,
        channel_id=sub.channel_id,
    )
