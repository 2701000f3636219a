"""What /feed add|list|remove do: check the manager, call the shared FeedService, reply."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.errors import UserError
from bot.feed_schedule import parse_every
from bot.feed_service import FeedService

from . import feed_messages, messages
from .feed_poller import FeedPoller
from .permissions import can_manage
from .scopes import guild_collection
from .sending import reply_now

log = logging.getLogger(__name__)


class FeedHandlers:
    def __init__(
        self, feeds: FeedService | None, poller: FeedPoller | None, admin_role: str | None
    ) -> None:
        self.feeds = feeds
        self.poller = poller
        self.admin_role = admin_role

    async def _allowed(self, interaction: discord.Interaction) -> FeedService | None:
        """The feed service if this user may manage this server's feeds; else reply why not."""
        if self.feeds is None:
            await reply_now(interaction, feed_messages.FEEDS_OFF)
            return None
        if interaction.guild_id is None:
            await reply_now(interaction, messages.DM_NO_CHANGES)
            return None
        if not can_manage(interaction.user, interaction.permissions, self.admin_role):
            await reply_now(interaction, messages.not_allowed_text(self.admin_role))
            return None
        return self.feeds

    async def add(
        self,
        interaction: discord.Interaction,
        url: str,
        every: str | None,
        channel: discord.abc.GuildChannel | None,
    ) -> None:
        feeds = await self._allowed(interaction)
        if feeds is None:
            return
        assert interaction.guild_id is not None
        try:
            every_s = parse_every(every) if every else None
        except ValueError as error:
            await reply_now(interaction, f"`every:` {error}")
            return
        try:
            # SQLite work only, but on a worker thread all the same: the file may be locked
            # for a moment by a poll recording its entries.
            sub, created = await asyncio.to_thread(
                feeds.add,
                url,
                collection=guild_collection(interaction.guild_id),
                every_s=every_s,
                owner="discord",
                channel_id=channel.id if channel is not None else None,
            )
        except UserError as error:
            await reply_now(interaction, str(error))
            return
        log.info("feed %s added in guild %s by %s", sub.url, sub.collection, interaction.user.id)
        await reply_now(interaction, feed_messages.subscribed_text(sub, created))
        if self.poller is not None:
            self.poller.wake()

    async def list(self, interaction: discord.Interaction) -> None:
        feeds = await self._allowed(interaction)
        if feeds is None:
            return
        assert interaction.guild_id is not None
        subs = await asyncio.to_thread(
            feeds.list, collections=[guild_collection(interaction.guild_id)]
        )
        await reply_now(interaction, feed_messages.feed_list(subs, feeds.clock()))

    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        feeds = await self._allowed(interaction)
        if feeds is None:
            return
        assert interaction.guild_id is not None
        removed = await asyncio.to_thread(
            feeds.remove, url, collection=guild_collection(interaction.guild_id)
        )
        await reply_now(interaction, feed_messages.removed_text(url.strip(), removed))
