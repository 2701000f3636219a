"""What each slash command does: guard, defer, call the actions, render, reply."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import discord

from bot.errors import UserError
from bot.settings import Settings

from . import messages
from .actions import NewsActions
from .cooldown import Cooldown
from .permissions import can_manage
from .render import render_answer_messages, shorten
from .scopes import Scope
from .sending import (
    NO_MENTIONS,
    finish_original_rendered,
    follow_up_rendered,
    follow_up_texts,
    reply_now,
)
from .streaming import LivePreview, quote_preview
from .uploads import UploadError, check_attachment, download

log = logging.getLogger(__name__)


class SlashHandlers:
    def __init__(self, actions: NewsActions, settings: Settings, cooldown: Cooldown) -> None:
        self.actions = actions
        self.settings = settings
        self.cooldown = cooldown

    def scope_of(self, interaction: discord.Interaction) -> Scope:
        return Scope(interaction.guild_id, self.settings.discord_shared_collection)

    @contextlib.asynccontextmanager
    async def _replying_errors(
        self, interaction: discord.Interaction, *, ephemeral: bool
    ) -> AsyncIterator[None]:
        """Turn any failure into a short reply; the details go to the log only."""
        try:
            yield
        except UserError as exc:
            await reply_now(interaction, str(exc), ephemeral=ephemeral)
        except Exception:
            log.exception(
                "/%s failed (guild %s, user %s)",
                interaction.command.name if interaction.command else "?",
                interaction.guild_id,
                interaction.user.id,
            )
            await reply_now(interaction, messages.GENERIC_ERROR, ephemeral=ephemeral)

    async def ask(self, interaction: discord.Interaction, question: str, private: bool) -> None:
        wait = self.cooldown.try_acquire(interaction.user.id)
        if wait:
            await reply_now(interaction, messages.cooldown_text(wait))
            return
        # Deferred at once: Discord drops an interaction not acknowledged within 3 seconds.
        await interaction.response.defer(ephemeral=private, thinking=True)
        async with self._replying_errors(interaction, ephemeral=private):
            scope = self.scope_of(interaction)
            if not self.actions.streams_answers:
                answer = await self.actions.ask(question, scope)
                await follow_up_rendered(
                    interaction, render_answer_messages(answer), ephemeral=private
                )
                return
            await self._ask_streaming(interaction, question, scope, private)

    async def _ask_streaming(
        self, interaction: discord.Interaction, question: str, scope: Scope, private: bool
    ) -> None:
        """The deferred response shows the unverified text as it comes, then the verified one."""

        async def show(text: str) -> None:
            await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

        preview = LivePreview(show)
        try:
            answer = await self.actions.ask(
                question,
                scope,
                on_token=preview.on_token,
                on_quote=lambda draft: preview.on_head(quote_preview(draft)),
            )
        except BaseException:
            if await preview.finish():
                # Unverified text must not stay up; the error reply follows.
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            raise
        rendered = render_answer_messages(answer)
        if await preview.finish():
            await finish_original_rendered(interaction, rendered, ephemeral=private)
        else:
            await follow_up_rendered(interaction, rendered, ephemeral=private)

    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._replying_errors(interaction, ephemeral=True):
            scope = self.scope_of(interaction)
            found = await self.actions.sources(scope)
            await follow_up_texts(interaction, messages.sources_list(found, scope), ephemeral=True)

    async def help(self, interaction: discord.Interaction) -> None:
        text = messages.help_text(
            self.settings.discord_admin_role, self.settings.discord_shared_collection
        )
        await reply_now(interaction, text)

    async def _may_manage(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            await reply_now(interaction, messages.DM_NO_CHANGES)
            return False
        role = self.settings.discord_admin_role
        if not can_manage(interaction.user, interaction.permissions, role):
            await reply_now(interaction, messages.not_allowed_text(role))
            return False
        return True

    async def ingest(
        self, interaction: discord.Interaction, url: str | None, file: discord.Attachment | None
    ) -> None:
        if not await self._may_manage(interaction):
            return
        if (url is None) == (file is None):
            await reply_now(interaction, messages.INGEST_ONE_INPUT)
            return
        max_bytes = self.settings.max_download_bytes
        if file is not None:
            # Checked before deferring, so a wrong file is refused at once and never downloaded.
            try:
                check_attachment(file.filename, file.size, max_bytes)
            except UploadError as exc:
                await reply_now(interaction, str(exc))
                return
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._replying_errors(interaction, ephemeral=True):
            scope = self.scope_of(interaction)
            if file is not None:
                data = await download(file, max_bytes)
                report = await self.actions.ingest_upload(data, file.filename, scope)
            else:
                assert url is not None
                report = await self.actions.ingest_url(url.strip(), scope)
            log.info(
                "ingest in guild %s by %s: %s",
                interaction.guild_id,
                interaction.user.id,
                {s: report.count(s) for s in ("added", "updated", "unchanged", "failed")},
            )
            await follow_up_texts(interaction, messages.ingest_report(report.items), ephemeral=True)

    async def forget(self, interaction: discord.Interaction, source: str) -> None:
        if not await self._may_manage(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._replying_errors(interaction, ephemeral=True):
            removed = await self.actions.forget(source.strip(), self.scope_of(interaction))
            await follow_up_texts(
                interaction, [messages.forget_text(removed, shorten(source, 200))], ephemeral=True
            )

    async def source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[discord.app_commands.Choice[str]]:
        """Autocomplete for /forget: this server's own sources matching what is typed."""
        if interaction.guild_id is None:
            return []
        try:
            found = await self.actions.own_sources(self.scope_of(interaction))
        except Exception:
            log.exception("autocomplete of sources failed")
            return []
        typed = current.lower()
        choices = []
        for info in found:
            # A choice's value is limited to 100 characters; longer names must be typed.
            if len(info.source) > 100 or typed not in f"{info.title} {info.source}".lower():
                continue
            label = shorten(f"{info.title} — {info.source}" if info.title else info.source, 100)
            choices.append(discord.app_commands.Choice(name=label, value=info.source))
        return choices[:25]
