"""A feed entry's publication date: parsed from any format feeds use, future dates clamped."""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from retrieval.loading import normalize_date

# Publishers' clocks and time zones differ: a date up to a day ahead is taken as written.
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True)
class EntryDate:
    date: str | None  # ISO YYYY-MM-DD, or None when the entry states none that reads as a date
    note: str = ""  # why the date differs from what the feed said, or why there is none


def entry_date(raw: Mapping[str, object], now: datetime) -> EntryDate:
    """The date of a feedparser entry: published, else updated; clamped to `now` if ahead."""
    # dict.get: feedparser's own get maps a missing "published" to "updated", with a warning.
    for name in ("published", "updated", "created"):
        parsed = dict.get(raw, f"{name}_parsed")  # type: ignore[arg-type]
        if isinstance(parsed, time.struct_time):
            # feedparser gives UTC; every format it knows (RFC 822, W3C, ISO 8601, ...) lands here.
            moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            return clamp_date(moment.date().isoformat(), now)
    stated = ""
    for name in ("published", "updated", "created", "dc_date"):
        value = dict.get(raw, name)  # type: ignore[arg-type]
        if isinstance(value, str) and value.strip():
            stated = value.strip()
            normalized = normalize_date(stated)
            if normalized:
                return clamp_date(normalized, now)
    if stated:
        return EntryDate(None, f"unreadable date {stated[:40]!r} ignored")
    return EntryDate(None, "no date in the feed")


def clamp_date(value: str, now: datetime) -> EntryDate:
    """`value` unless it lies more than a day after `now`: then `now`'s date, with a note.

    A future date would sort the article first in every "latest" question for years; the
    moment it was first seen is the best bound on when it was really published.
    """
    try:
        stated = date.fromisoformat(value)
    except ValueError:
        return EntryDate(None, f"unreadable date {value[:40]!r} ignored")
    if stated > (now + FUTURE_TOLERANCE).date():
        today = now.date().isoformat()
        return EntryDate(today, f"future date {value} clamped to {today}")
    return EntryDate(value)
