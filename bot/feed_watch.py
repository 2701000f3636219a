"""The polling loop behind `newsbot watch`: cycles until stopped; a stop loses nothing."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from bot.feed_service import CycleReport, FeedResult, FeedService, Owner

# Longest wait between looks at the subscriptions, so that one added by `feeds add` from
# another process is polled within a minute even when every other feed is hours away.
MAX_IDLE_S = 60.0


def watch(
    feeds: FeedService,
    *,
    stop: threading.Event,
    once: bool = False,
    force: bool = False,
    owner: Owner = "cli",
    sleep: Callable[[float], object] | None = None,
    on_feed: Callable[[FeedResult], None] | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> list[CycleReport]:
    """Run polling cycles until `stop` is set (or one, with `once`); returns their reports.

    `sleep` waits between cycles; the default wakes early when `stop` is set. Tests pass one
    that moves their clock forward instead.
    """
    wait = sleep or stop.wait
    reports: list[CycleReport] = []
    while not stop.is_set():
        try:
            report = feeds.run_cycle(owner=owner, force=force, stop=stop, on_feed=on_feed)
        except Exception as error:
            # The data directory locked for too long, a full disk: the watcher keeps running
            # and tries again; every entry stored so far is recorded.
            if once or on_error is None:
                raise
            on_error(error)
            wait(MAX_IDLE_S)
            continue
        reports.append(report)
        if on_cycle:
            on_cycle(report)
        if once or stop.is_set():
            break
        force = False
        due = feeds.seconds_until_due(owner=owner)
        wait(MAX_IDLE_S if due is None else min(max(due, 1.0), MAX_IDLE_S))
    return reports


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C or SIGTERM sets `stop`: the entry being stored is finished and recorded, then the
    watcher exits. A second Ctrl-C interrupts at once (what is recorded stays recorded)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
