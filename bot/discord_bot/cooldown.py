"""A per-user cooldown between questions, so one user cannot flood the answer queue."""

from __future__ import annotations

import time
from collections.abc import Callable


class Cooldown:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = max(0.0, seconds)
        self._clock = clock
        self._last: dict[int, float] = {}

    def try_acquire(self, user_id: int) -> float:
        """0.0 and start the user's cooldown when they may go ahead, else seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:
            self._forget_expired(now)
        return 0.0

    def _forget_expired(self, now: float) -> None:
        # Keeps memory bounded on a busy bot: expired entries carry no information.
        self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
