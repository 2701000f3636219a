"""/feed on Discord: the real discord.py client against the stand-in, a real local feed server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.feed_service import FeedService
from bot.service import NewsService
from tests.discord_standin import StandinDiscord, fixtures
from tests.discord_standin.newsbot import ADMIN_ROLE, bot_settings, running_bot
from tests.helpers.feed_server import (
    RSS_TYPE,
    FeedServer,
    Item,
    Route,
    article_page,
    feed_server,
    rss,
)

standin = fixtures.standin

TOWNS = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as srv:
        for n, town in enumerate(TOWNS):
            text = f"The {town} town council approved a budget of {n + 2} million euros."
            # "@everyone" in a title must not ping anyone when announced.
            title = f"{town} budget approved @everyone" if n == 0 else f"{town} budget approved"
            srv.routes[f"/news/{town.lower()}.html"] = Route(article_page(title, text))
        items = [
            Item(f"{town} budget approved", f"{srv.base}/news/{town.lower()}.html", guid=town)
            for town in TOWNS
        ]
        srv.routes["/rss.xml"] = Route(rss(items), RSS_TYPE)
        yield srv


@pytest.fixture
def news(tmp_path: Path) -> Iterator[NewsService]:
    svc = NewsService(bot_settings(tmp_path / "data", allow_loopback_urls=True))
    yield svc
    svc.close()


def test_feed_commands_are_for_managers_and_new_articles_are_announced_without_pings(
    standin: StandinDiscord,
    server: FeedServer,
    news: NewsService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = standin.world
    guild = world.add_guild("Town news", channels=("general", "news"))
    other = world.add_guild("Elsewhere")
    general, news_channel = list(guild.channels)
    editors = world.add_role(guild.id, ADMIN_ROLE)
    bob = int(world.add_member(guild.id, "bob")["id"])
    carol = int(world.add_member(guild.id, "carol", roles=(editors,))["id"])
    owner_other = int(world.owner_user["id"])
    url = f"{server.base}/rss.xml"
    settings = bot_settings(
        news.settings.data_dir,
        allow_loopback_urls=True,
        discord_feed_check_s=0.2,
        discord_feed_posts_per_minute=3,
    )

    async def command(name: str, user: int, guild_id: int, **options: Any) -> str:
        record = await standin.invoke(name, user, guild_id=guild_id, options=options)
        await standin.wait_for(lambda: record.messages, timeout=30)
        assert record.ephemeral
        return " ".join(m["content"] for m in record.messages)

    polled_on: list[str] = []
    run_cycle = FeedService.run_cycle

    def recording_cycle(self: FeedService, **kwargs: Any) -> Any:
        polled_on.append(threading.current_thread().name)
        return run_cycle(self, **kwargs)

    monkeypatch.setattr(FeedService, "run_cycle", recording_cycle)

    async def scenario() -> None:
        async with running_bot(standin, settings, news) as bot:
            refused = await command("feed add", bob, guild.id, url=url)
            assert "Manage Server" in refused
            assert "Manage Server" in await command("feed list", bob, guild.id)
            assert "Manage Server" in await command("feed remove", bob, guild.id, url=url)
            assert server.count() == 0

            added = await command(
                "feed add", carol, guild.id, url=url, every="1h", channel=news_channel
            )
            assert "Following" in added and "every 1h" in added and f"<#{news_channel}>" in added
            # Polled by the bot itself: three posts a minute, the third sums up the rest.
            posts = await standin.wait_for_request(
                "POST", f"/channels/{news_channel}/messages", count=3, timeout=60
            )
            await asyncio.sleep(0.8)  # a few more checks: nothing more may be posted
            posts = standin.requests_to("POST", f"/channels/{news_channel}/messages")
            assert len(posts) == 3
            first, second, summary = (p.json for p in posts)
            assert "Alder budget approved" in first["content"]
            assert f"<{server.base}/news/alder.html>" in first["content"]
            assert "127.0.0.1" in first["content"]  # the source
            assert "Birch budget approved" in second["content"]
            assert "and 4 more new articles" in summary["content"]
            for post in (first, second, summary):
                allowed = post["allowed_mentions"]
                assert allowed["parse"] == [] and not allowed.get("users")
                assert not allowed.get("roles")
            assert not standin.requests_to("POST", f"/channels/{general}/messages")
            # Every entry is stored in this server's collection, once.
            found = news.sources(collections=[f"guild-{guild.id}"])
            assert len(found) == len(TOWNS) == len({f.source for f in found})

            listing = await command("feed list", carol, guild.id)
            assert url in listing and "6 articles so far" in listing and "every 1h" in listing
            # Another server sees none of it.
            assert "follows no feed" in await command("feed list", owner_other, other.id)

            removed = await command("feed remove", carol, guild.id, url=url)
            assert "Stopped following" in removed
            assert "follows no feed" in await command("feed list", carol, guild.id)
            assert "does not follow" in await command("feed remove", carol, guild.id, url=url)
            assert bot.feeds is not None and bot.feeds.list() == []

    asyncio.run(scenario())
    assert not [r for r in standin.requests if r.status >= 400]
    # Polls ran on worker threads, never on the event loop's.
    assert polled_on and "MainThread" not in polled_on


def test_discord_feeds_never_reach_private_addresses(
    standin: StandinDiscord, server: FeedServer, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("Town news")
    owner = int(standin.world.owner_user["id"])
    server.routes["/moved.xml"] = Route(status=302, location="http://10.0.0.1/rss.xml")
    settings = bot_settings(
        tmp_path / "data",
        allow_loopback_urls=True,
        allow_private_urls=True,  # the operator's CLI setting: never for Discord users
        discord_feed_check_s=0.2,
    )
    news = NewsService(settings)

    async def scenario() -> None:
        async with running_bot(standin, settings, news) as bot:
            record = await standin.invoke(
                "feed add", owner, guild_id=guild.id, options={"url": f"{server.base}/moved.xml"}
            )
            await standin.wait_for(lambda: record.messages, timeout=30)
            assert bot.feeds is not None
            await standin.wait_for(lambda: bot.feeds.list()[0].error, timeout=30)
            [sub] = bot.feeds.list()
            assert "refused" in sub.error and "private address 10.0.0.1" in sub.error
            listing = await standin.invoke("feed list", owner, guild_id=guild.id)
            await standin.wait_for(lambda: listing.messages, timeout=30)
            assert "refused" in listing.messages[0]["content"]

    try:
        asyncio.run(scenario())
    finally:
        news.close()
