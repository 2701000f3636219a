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


def embeds_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [embed for message in messages for embed in message.get("embeds") or []]


def quoted(embed_or_embeds: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """The quoted sentences of citation fields, markdown escapes removed."""
    embeds = embed_or_embeds if isinstance(embed_or_embeds, list) else [embed_or_embeds]
    quotes = []
    for embed in embeds:
        for field in embed.get("fields") or []:
            first_line = field["value"].split("\n", 1)[0].removeprefix("> ")
            quotes.append(re.sub(r"\\(.)", r"\1", first_line))
    return quotes


def field_numbers(embeds: list[dict[str, Any]]) -> set[int]:
    numbers = set()
    for embed in embeds:
        for field in embed.get("fields") or []:
            match = re.match(r"\[(\d+)\]", field["name"])
            if match:
                numbers.add(int(match.group(1)))
    return numbers
