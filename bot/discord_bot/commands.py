"""The slash commands as Discord sees them: names, options, descriptions; handlers do the work."""

from __future__ import annotations

import discord
from discord import app_commands

from .feed_slash import FeedHandlers
from .slash import SlashHandlers


def install_commands(
    tree: app_commands.CommandTree, handlers: SlashHandlers, feeds: FeedHandlers
) -> None:
    @tree.command(name="ask", description="Ask a question about the news articles")
    @app_commands.describe(
        question="Your question, e.g. How many soldiers were deployed?",
        private="Only you see the answer (default: everyone in the channel)",
    )
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        private: bool = False,
    ) -> None:
        await handlers.ask(interaction, question, private)

    @tree.command(name="sources", description="List the articles I can quote here")
    async def sources(interaction: discord.Interaction) -> None:
        await handlers.sources(interaction)

    @tree.command(name="ingest", description="Add an article to this server (Manage Server)")
    @app_commands.describe(
        url="Link to an article page (http or https)",
        file="A .txt, .md, .html or .jsonl file",
    )
    @app_commands.guild_only()
    async def ingest(
        interaction: discord.Interaction,
        url: str | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        await handlers.ingest(interaction, url, file)

    @tree.command(name="forget", description="Remove an article from this server (Manage Server)")
    @app_commands.describe(source="The article's source name, as /sources lists it")
    @app_commands.guild_only()
    async def forget(interaction: discord.Interaction, source: str) -> None:
        await handlers.forget(interaction, source)

    @forget.autocomplete("source")
    async def forget_source(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await handlers.source_choices(interaction, current)

    @tree.command(name="help", description="What newsbot does and how to use it")
    async def help_command(interaction: discord.Interaction) -> None:
        await handlers.help(interaction)

    feed = app_commands.Group(
        name="feed", description="Follow news feeds in this server (Manage Server)", guild_only=True
    )

    @feed.command(name="add", description="Follow an RSS or Atom feed; its new articles are added")
    @app_commands.describe(
        url="The feed's address (http or https), e.g. https://example.com/rss.xml",
        every="How often to check: 15m (default), 1h, 1d; a feed asking for less is obeyed",
        channel="Announce new articles here (title, source, link); none: no announcements",
    )
    async def feed_add(
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        every: str | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        await feeds.add(interaction, url, every, channel)

    @feed.command(name="list", description="The feeds this server follows, and how they fare")
    async def feed_list(interaction: discord.Interaction) -> None:
        await feeds.list(interaction)

    @feed.command(name="remove", description="Stop following a feed (its articles stay)")
    @app_commands.describe(url="The feed's address, as /feed list shows it")
    async def feed_remove(interaction: discord.Interaction, url: str) -> None:
        await feeds.remove(interaction, url)

    tree.add_command(feed)
