"""Questions by mention: answered in a thread on the message; follow-ups there keep the context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import discord

from bot.answering.answer import Answer
from bot.errors import UserError

from . import messages
from .actions import NewsActions
from .conversations import Conversations
from .cooldown import Cooldown
from .render import render_answer_messages, render_text_messages, shorten
from .scopes import Scope
from .sending import NO_MENTIONS, finish_message_rendered, send_rendered, send_texts
from .streaming import LivePreview, quote_preview

log = logging.getLogger(__name__)

Where = Literal["new-thread", "here"]


@dataclass(frozen=True)
class MentionRequest:
    question: str
    where: Where  # open a thread on the message, or answer in the message's own channel
    # The thread or DM whose history applies and grows; None for a one-off answer.
    conversation_id: int | None


def strip_mentions_of(content: str, user_id: int) -> str:
    """The message without mentions of `user_id`, whitespace tidied."""
    return " ".join(re.sub(rf"<@!?{user_id}>", " ", content).split())


def route(
    *,
    content: str,
    bot_id: int,
    channel_id: int,
    mentioned: bool,
    in_dm: bool,
    in_thread: bool,
    bot_thread: bool,
    known_conversation: bool,
    can_open_thread: bool,
) -> MentionRequest | None:
    """Decide whether and where a message gets an answer; None when it is not for the bot.

    DMs are always for the bot. In a thread the bot started or already answers in, every
    message is a follow-up. Elsewhere only a mention counts, answered in a new thread.
    """
    question = strip_mentions_of(content, bot_id)
    if not question and not mentioned:
        # Without the Message Content intent, unaddressed messages arrive empty.
        return None
    if in_dm or (in_thread and (bot_thread or known_conversation)):
        return MentionRequest(question, "here", channel_id)
    if not mentioned:
        return None
    if in_thread:
        return MentionRequest(question, "here", channel_id)
    if not can_open_thread:
        return MentionRequest(question, "here", None)
    return MentionRequest(question, "new-thread", None)


class MentionHandler:
    def __init__(
        self,
        client: discord.Client,
        actions: NewsActions,
        conversations: Conversations,
        cooldown: Cooldown,
        shared_collection: str | None,
    ) -> None:
        self.client = client
        self.actions = actions
        self.conversations = conversations
        self.cooldown = cooldown
        self.shared_collection = shared_collection

    def _request_for(self, message: discord.Message) -> MentionRequest | None:
        me = self.client.user
        if me is None or message.author.bot:
            return None  # never answer bots, this one included
        channel = message.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        return route(
            content=message.content,
            bot_id=me.id,
            channel_id=channel.id,
            mentioned=me in message.mentions,
            in_dm=message.guild is None,
            in_thread=thread is not None,
            bot_thread=thread is not None and thread.owner_id == me.id,
            known_conversation=thread is not None and self.conversations.get(thread.id) is not None,
            can_open_thread=isinstance(channel, discord.TextChannel),
        )

    async def handle(self, message: discord.Message) -> None:
        request = self._request_for(message)
        if request is None:
            return
        scope = Scope(message.guild.id if message.guild else None, self.shared_collection)
        if not request.question:
            await send_texts(message.channel, [messages.NO_QUESTION], reference=message)
            return
        wait = self.cooldown.try_acquire(message.author.id)
        if wait:
            await send_texts(message.channel, [messages.cooldown_text(wait)], reference=message)
            return
        target: discord.abc.Messageable = message.channel
        reference: discord.Message | None = message
        conversation_id = request.conversation_id
        if request.where == "new-thread":
            target, reference = await self._open_thread(message, request.question)
            conversation_id = target.id if isinstance(target, discord.Thread) else None
        conversation = self.conversations.get(conversation_id) if conversation_id else None
        history = conversation.turns if conversation else []
        # With an LLM, the answer is shown as it is generated in a message edited in place.
        shown: list[discord.Message] = []

        async def show(text: str) -> None:
            if shown:
                await shown[0].edit(content=text, allowed_mentions=NO_MENTIONS)
            else:
                shown.append(
                    await target.send(
                        text,
                        allowed_mentions=NO_MENTIONS,
                        reference=reference,
                        mention_author=False,
                    )
                )

        preview = LivePreview(show) if self.actions.streams_answers else None
        try:
            async with target.typing():
                answer = await self.actions.ask(
                    request.question,
                    scope,
                    history,
                    on_token=preview.on_token if preview else None,
                    on_quote=_quote_shower(preview),
                )
        except Exception as exc:
            if preview is not None and await preview.finish():
                # Unverified text must not stay up; the error reply follows.
                with contextlib.suppress(discord.HTTPException):
                    await shown[0].delete()
            if isinstance(exc, UserError):
                await send_texts(target, render_text_messages(str(exc)), reference=reference)
                return
            log.exception(
                "answering a mention failed (guild %s, user %s)", scope.guild_id, message.author.id
            )
            await send_texts(target, [messages.GENERIC_ERROR], reference=reference)
            return
        if conversation_id is not None:
            turn_at = self.conversations.remember_turn(
                conversation_id, scope, request.question, answer.answer
            )
            # Writing and pruning the conversation file takes milliseconds: off the event loop,
            # and before the answer shows, so a follow-up after a restart still has it.
            await asyncio.to_thread(
                self.conversations.save_turn,
                conversation_id,
                scope,
                request.question,
                answer.answer,
                turn_at,
            )
        rendered = render_answer_messages(answer)
        if preview is not None and await preview.finish() and shown:
            await finish_message_rendered(shown[0], target, rendered)
        else:
            await send_rendered(target, rendered, reference=reference)

    async def _open_thread(
        self, message: discord.Message, question: str
    ) -> tuple[discord.abc.Messageable, discord.Message | None]:
        """A thread on the message; without the permission to make one, the channel itself."""
        try:
            thread = await message.create_thread(
                name=shorten(question, 100), auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            log.warning(
                "cannot open a thread in channel %s (%s); answering there",
                message.channel.id,
                exc.status,
            )
            return message.channel, message
        # The thread starts from the question itself, so no reply reference is needed.
        return thread, None


def _quote_shower(preview: LivePreview | None) -> Callable[[Answer], None] | None:
    """Shows the quote found at once in the streamed message, before the written answer."""
    if preview is None:
        return None
    return lambda draft: preview.on_head(quote_preview(draft))
