"""newsbot's Discord client run against the stand-in, with helpers to read what it sent."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.discord_bot.actions import AnswerService
from bot.discord_bot.client import NewsBot
from bot.settings import Settings

from .harness import connected
from .server import StandinDiscord

ADMIN_ROLE = "News editors"
SHARED = "news"


def bot_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "discord_shared_collection": SHARED,
        "discord_admin_role": ADMIN_ROLE,
        "discord_cooldown_s": 0,
        "discord_max_jobs": 2,
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def running_bot(
    standin: StandinDiscord, settings: Settings, service: AnswerService
) -> AsyncIterator[NewsBot]:
    bot = NewsBot(settings, service, guild_ready_timeout=0.05)
    async with connected(bot, standin):
        yield bot


async def ask_in_thread(
    standin: StandinDiscord, channel: int, member: int, question: str, *, timeout: float
) -> int:
    """Mention the bot with a question and wait until its thread message is edited into an
    answer (an embed); the thread's id."""
    sent = await standin.send_message(channel, member, question, mention_bot=True)
    thread_id = int(sent["id"])

    def answered() -> bool:
        return any(
            r.json.get("embeds")
            for r in standin.requests_matching("PATCH", f"/channels/{thread_id}/messages/")
        )

    await standin.wait_for(answered, timeout=timeout, what="the answer edited into the thread")
    return thread_id


def embeds_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [embed for message in messages for embed in message.get("embeds") or []]


def _markdown_runs(value: str) -> list[tuple[str, bool]]:
    """(character, bold) for each character Discord shows: escapes undone, "**" toggling bold."""
    runs, bold, i = [], False, 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            runs.append((value[i + 1], bold))
            i += 2
        elif value.startswith("**", i):
            bold, i = not bold, i + 2
        else:
            runs.append((value[i], bold))
            i += 1
    return runs


def _quote_lines(embed_or_embeds: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    embeds = embed_or_embeds if isinstance(embed_or_embeds, list) else [embed_or_embeds]
    return [
        field["value"].split("\n", 1)[0].removeprefix("> ")
        for embed in embeds
        for field in embed.get("fields") or []
    ]


def quoted(embed_or_embeds: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """The quoted passages of citation fields as the reader sees them, without markdown."""
    return ["".join(c for c, _ in _markdown_runs(line)) for line in _quote_lines(embed_or_embeds)]


def bold_in_quotes(embed_or_embeds: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """The bold part (the answering sentences) of each citation field's passage."""
    lines = _quote_lines(embed_or_embeds)
    bold = ["".join(c for c, b in _markdown_runs(line) if b) for line in lines]
    return [" ".join(part.split()) for part in bold]


def field_numbers(embeds: list[dict[str, Any]]) -> set[int]:
    numbers = set()
    for embed in embeds:
        for field in embed.get("fields") or []:
            match = re.match(r"\[(\d+)\]", field["name"])
            if match:
                numbers.add(int(match.group(1)))
    return numbers
