"""The discord.py client: intents, command sync, and event handlers that only delegate."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.feed_service import FeedService
from bot.settings import Settings

from . import messages
from .actions import AnswerService, NewsActions
from .commands import install_commands
from .conversations import Conversations
from .cooldown import Cooldown
from .feed_poller import FeedPoller
from .feed_slash import FeedHandlers
from .jobs import JobRunner
from .mentions import MentionHandler
from .sending import NO_MENTIONS, reply_now
from .slash import SlashHandlers

log = logging.getLogger(__name__)


class NewsBot(discord.Client):
    def __init__(
        self,
        settings: Settings,
        service: AnswerService,
        *,
        message_content: bool = True,
        **client_options: Any,
    ) -> None:
        intents = discord.Intents.default()
        # Needed to read follow-ups in threads that do not mention the bot; a privileged
        # intent, so app.py retries without it when the application may not use it.
        intents.message_content = message_content
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS, **client_options)
        self.settings = settings
        self.jobs = JobRunner(settings.discord_max_jobs)
        self.actions = NewsActions(
            service, self.jobs, streams_answers=settings.llm_backend != "none"
        )
        cooldown = Cooldown(settings.discord_cooldown_s)
        self.conversations = Conversations(settings.data_dir / "discord-conversations.sqlite")
        self.slash = SlashHandlers(self.actions, settings, cooldown)
        self.mentions = MentionHandler(
            self, self.actions, self.conversations, cooldown, settings.discord_shared_collection
        )
        self.feeds = _feed_service(service)
        self.feed_poller = (
            FeedPoller(
                self,
                self.feeds,
                check_s=settings.discord_feed_check_s,
                posts_per_minute=settings.discord_feed_posts_per_minute,
            )
            if self.feeds is not None
            else None
        )
        feed_handlers = FeedHandlers(self.feeds, self.feed_poller, settings.discord_admin_role)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_command_error
        install_commands(self.tree, self.slash, feed_handlers)

    async def setup_hook(self) -> None:
        guild_id = self.settings.discord_guild_id
        if guild_id:
            # A test server gets the commands at once; global ones can take a while to show.
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to server %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
        if self.feed_poller is not None:
            self.feed_poller.start()

    async def close(self) -> None:
        if self.feed_poller is not None:
            await self.feed_poller.stop()
        if self.feeds is not None:
            self.feeds.close()
        await super().close()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        await self.mentions.handle(message)

    async def _on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        # Handlers reply to their own errors; this catches what escapes them (and bad options).
        log.error("command failed: %s", error, exc_info=error)
        try:
            await reply_now(interaction, messages.GENERIC_ERROR)
        except discord.HTTPException:
            log.warning("could not tell the user about the failure")


def _feed_service(service: AnswerService) -> FeedService | None:
    """Feeds need the real service (ingestion, settings); a stand-in service has none."""
    from bot.service import NewsService

    return FeedService(service) if isinstance(service, NewsService) else None
