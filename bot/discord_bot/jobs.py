"""A bounded pool for blocking work (embedding, search, ingestion) kept off the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class JobRunner:
    """Runs at most `max_jobs` blocking calls at once, each in a worker thread."""

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max(1, max_jobs)
        self._slots = asyncio.Semaphore(self.max_jobs)
        self.running = 0

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        await self._slots.acquire()
        self.running += 1
        try:
            job = asyncio.ensure_future(asyncio.to_thread(functools.partial(fn, *args, **kwargs)))
        except BaseException:
            self._release()
            raise
        # The slot is freed when the thread ends, not when a cancelled caller stops waiting:
        # a thread cannot be stopped, so it still counts toward the bound.
        job.add_done_callback(lambda _: self._release())
        return await asyncio.shield(job)

    def _release(self) -> None:
        self.running -= 1
        self._slots.release()
