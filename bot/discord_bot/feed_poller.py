"""The bot's own feed polling: due feeds every little while, on a worker thread; new articles
announced in their channel, at most a few posts a minute, the rest summed up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

import discord

from bot.feed_service import CycleReport, FeedService, NewArticle

from . import feed_messages
from .sending import NO_MENTIONS

log = logging.getLogger(__name__)


class PostBudget:
    """At most `per_minute` posts to each channel in any 60 s window."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(1, per_minute)
        self.clock = clock
        self._sent: dict[int, deque[float]] = defaultdict(deque)

    def available(self, channel_id: int) -> int:
        sent = self._sent[channel_id]
        now = self.clock()
        while sent and now - sent[0] >= 60:
            sent.popleft()
        return self.per_minute - len(sent)

    def spend(self, channel_id: int) -> None:
        self._sent[channel_id].append(self.clock())


class FeedPoller:
    def __init__(
        self,
        client: discord.Client,
        feeds: FeedService,
        *,
        check_s: float,
        posts_per_minute: int,
    ) -> None:
        self.client = client
        self.feeds = feeds
        self.check_s = check_s
        self.budget = PostBudget(posts_per_minute)
        # Articles not announced yet because their channel's budget was spent: summed up in
        # the next post the budget allows.
        self._held: dict[int, list[NewArticle]] = defaultdict(list)
        self._wake = asyncio.Event()
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feed-poller")

    def wake(self) -> None:
        """Poll now (a feed was just added), not at the next check."""
        self._wake.set()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Stop polling; a poll under way records the entry at hand and returns first."""
        self._stop.set()
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        except TimeoutError:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.check_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                # A worker thread: fetching and embedding never hold up the event loop.
                report = await asyncio.to_thread(
                    self.feeds.run_cycle, owner="discord", stop=self._stop
                )
            except Exception:
                log.exception("feed polling failed; trying again at the next check")
                continue
            for result in report.feeds:
                if result.status == "error" or result.failed:
                    log.info("feed %s (%s): %s", result.url, result.collection, result.summary)
            await self.announce(report)

    async def announce(self, report: CycleReport) -> None:
        for article in report.new:
            if article.channel_id:
                self._held[article.channel_id].append(article)
        for channel_id in list(self._held):
            await self._post(channel_id)

    async def _post(self, channel_id: int) -> None:
        waiting = self._held[channel_id]
        room = self.budget.available(channel_id)
        if not waiting or room <= 0:
            return
        # Posted one by one while they fit; when they do not, the last post sums up the rest.
        shown = waiting if len(waiting) <= room else waiting[: room - 1]
        rest = waiting[len(shown) :]
        channel = self.client.get_partial_messageable(channel_id)
        try:
            for article in shown:
                await channel.send(
                    feed_messages.article_post(article), allowed_mentions=NO_MENTIONS
                )
                self.budget.spend(channel_id)
            if rest:
                text = feed_messages.overflow_post(len(rest), [a.feed_url for a in rest])
                await channel.send(text, allowed_mentions=NO_MENTIONS)
                self.budget.spend(channel_id)
        except discord.HTTPException as error:
            # A deleted channel or lost permission: the articles are stored all the same.
            log.warning("cannot announce in channel %s: %s", channel_id, error)
        self._held.pop(channel_id, None)
