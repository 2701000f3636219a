"""Terminal rendering of feed subscriptions and of each feed's poll in `newsbot watch`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.feed_schedule import format_every
from bot.feed_service import CycleReport, FeedResult
from retrieval.subscriptions import Subscription


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def until(timestamp: float, now: float) -> str:
    seconds = timestamp - now
    if seconds <= 0:
        return "due now"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"in {seconds / size:.0f}{unit}"
    return f"in {seconds:.0f}s"


def subscription_json(sub: Subscription, now: float) -> dict[str, object]:
    return {
        "url": sub.url,
        "collection": sub.collection,
        "owner": sub.owner,
        "every_s": sub.every_s,
        "ttl_s": sub.ttl_s,
        "channel_id": sub.channel_id,
        "last_poll": when(sub.last_poll) if sub.last_poll else None,
        "last_result": sub.last_result,
        "last_new": when(sub.last_new) if sub.last_new else None,
        "new_total": sub.new_total,
        "error": sub.error,
        "failures_in_a_row": sub.failures,
        "next_poll": when(sub.next_poll),
        "next_poll_in_s": round(max(0.0, sub.next_poll - now), 1),
    }


def render_subscriptions(console: Console, subs: Sequence[Subscription], now: float) -> None:
    if not subs:
        console.print("No feed subscriptions. Add one with `newsbot feeds add URL`.")
        return
    table = Table(title="Feed subscriptions")
    for column in ("feed", "collection", "every", "last poll", "last result", "last new", "next"):
        table.add_column(column, overflow="fold")
    for sub in subs:
        every = format_every(sub.every_s)
        if sub.ttl_s and sub.ttl_s > sub.every_s:
            every += f" (feed ttl {format_every(sub.ttl_s)})"
        result = escape(sub.last_result)
        if sub.error:
            result = f"[red]{result}[/]"
            if sub.failures > 1:
                result += f" [dim]({sub.failures} failures in a row)[/]"
        table.add_row(
            escape(sub.url),
            escape(sub.collection) + ("" if sub.owner == "cli" else f" ({sub.owner})"),
            every,
            when(sub.last_poll),
            result or "—",
            when(sub.last_new),
            until(sub.next_poll, now),
        )
    console.print(table)


def render_feed_result(console: Console, result: FeedResult) -> None:
    colour = "red" if result.status == "error" or result.failed else "green"
    console.print(
        f"[{colour}]{escape(result.url)}[/] → {escape(result.collection)}: "
        f"{escape(result.summary)}",
        highlight=False,
    )
    for link, reason in result.failed:
        console.print(f"    failed {escape(link)}: {escape(reason)}", highlight=False)
    for note in result.notes:
        console.print(f"    note: {escape(note)}", highlight=False)


def render_cycle(console: Console, report: CycleReport) -> None:
    errors = sum(1 for r in report.feeds if r.status == "error")
    failed = sum(len(r.failed) for r in report.feeds)
    console.print(
        f"Cycle: {len(report.feeds)} feed(s) polled in {report.seconds:.1f} s, "
        f"{len(report.new)} new article(s), {errors} feed error(s), {failed} entry failure(s)"
        + (" — stopped early; the rest is polled on the next start" if report.interrupted else ""),
        highlight=False,
    )
