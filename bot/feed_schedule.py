"""When to poll a feed next: its interval or own TTL, jittered, backed off after failures."""

from __future__ import annotations

import random
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.I)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY_S = 60.0


def parse_every(text: str) -> float:
    """'15m', '2h', '90s', '1d' (a bare number is minutes) as seconds; ValueError if unreadable."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write e.g. 15m, 2h, 90s or 1d")
    seconds = float(match.group(1)) * _UNIT_S[(match.group(2) or "m").lower()]
    if seconds < MIN_EVERY_S:
        raise ValueError(f"{text!r} is too often: poll a feed at most once a minute (1m)")
    return seconds


def format_every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def poll_interval(every_s: float, ttl_s: int | None) -> float:
    """The longer of the subscriber's interval and the feed's own <ttl>: a publisher that asks
    to be polled less often is obeyed, one that allows more often is not polled harder."""
    return max(every_s, float(ttl_s or 0))


def next_delay(
    every_s: float,
    ttl_s: int | None,
    failures: int,
    *,
    max_backoff_s: float,
    jitter: float,
    rng: random.Random,
) -> float:
    """Seconds until the next poll; `failures` counts failed polls in a row, this one included."""
    delay = poll_interval(every_s, ttl_s)
    if failures > 0:
        # Exponential backoff, capped: a feed down for a day is asked a few times an hour at first,
        # then every `max_backoff_s`.
        delay = min(delay * 2.0**failures, max(max_backoff_s, delay))
    return delay * rng.uniform(1.0 - jitter, 1.0 + jitter)
