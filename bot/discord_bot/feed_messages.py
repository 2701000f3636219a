"""The bot's words about feeds: subscription replies, the list, and new-article posts."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import discord

from bot.feed_schedule import format_every
from bot.feed_service import NewArticle
from retrieval.subscriptions import Subscription

from .render import shorten

NO_FEEDS = "This server follows no feed. Add one with `/feed add url:` (Manage Server)."
FEEDS_OFF = "Feeds are not available on this bot."


def subscribed_text(sub: Subscription, created: bool) -> str:
    verb = "Following" if created else "Updated:"
    where = f"; new articles are announced in <#{sub.channel_id}>" if sub.channel_id else ""
    return (
        f"{verb} <{shorten(sub.url, 300)}>, checked every {format_every(sub.every_s)}{where}. "
        "New articles become searchable with `/ask`."
    )


def removed_text(url: str, removed: bool) -> str:
    if removed:
        return (
            f"Stopped following <{shorten(url, 300)}>. Its articles stay (`/forget` removes one)."
        )
    return f"This server does not follow <{shorten(url, 300)}>. `/feed list` shows what it does."


def feed_list(subs: Sequence[Subscription], now: float) -> str:
    if not subs:
        return NO_FEEDS
    lines = [f"**{len(subs)} feed{'s' if len(subs) != 1 else ''} followed here:**"]
    for sub in subs[:20]:
        polled = "not polled yet" if sub.last_poll is None else f"last: {sub.last_result}"
        if sub.error:
            polled = f"⚠️ {sub.error}" + (
                f" ({sub.failures} failures in a row)" if sub.failures > 1 else ""
            )
        channel = f" → <#{sub.channel_id}>" if sub.channel_id else ""
        due = max(0, round((sub.next_poll - now) / 60))
        lines.append(
            f"• <{shorten(sub.url, 200)}>{channel} · every {format_every(sub.every_s)} · "
            f"{sub.new_total} articles so far · {shorten(polled, 300)} · next in {due} min"
        )
    if len(subs) > 20:
        lines.append(f"…and {len(subs) - 20} more.")
    return shorten("\n".join(lines), 1990)


def article_post(article: NewArticle) -> str:
    """Title, source and link of one new article."""
    title = discord.utils.escape_markdown(shorten(article.title or article.source, 200))
    link = article.url or article.source
    host = urlsplit(link).netloc or article.source
    date = f" · {article.date}" if article.date else ""
    return f"📰 **{title}**\n{discord.utils.escape_markdown(host)}{date} · <{shorten(link, 500)}>"


def overflow_post(count: int, feeds: Sequence[str]) -> str:
    names = ", ".join(sorted({urlsplit(url).netloc or url for url in feeds}))
    return (
        f"…and {count} more new article{'s' if count != 1 else ''} from "
        f"{discord.utils.escape_markdown(shorten(names, 300))}: ask about them with `/ask`, "
        "`/sources` lists them."
    )
