"""`newsbot discord`: check the token, start the service and run the bot until stopped."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import discord

from bot.settings import Settings

from .actions import AnswerService
from .client import NewsBot

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NO_TOKEN = 2
EXIT_BAD_TOKEN = 3
EXIT_CANNOT_CONNECT = 4

NO_TOKEN = (
    "No Discord bot token: set DISCORD_TOKEN (or discord_token in the settings file) to the "
    "token from the Discord developer portal (Applications > your app > Bot > Reset Token)."
)
BAD_TOKEN = (
    "Discord rejected the bot token. Check DISCORD_TOKEN: copy the token again from the "
    "Discord developer portal (Bot > Reset Token); it is not the application id or secret."
)


def run_discord(
    settings: Settings, *, service: AnswerService | None = None, **client_options: Any
) -> int:
    """Run the bot until interrupted; returns the process exit code.

    `service` defaults to a NewsService on `settings`; `client_options` go to discord.Client.
    """
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        print(f"Error: {NO_TOKEN}", file=sys.stderr)
        return EXIT_NO_TOKEN
    if not logging.getLogger().handlers:
        discord.utils.setup_logging(level=logging.INFO, root=True)
    if service is not None:
        return _run(serve(settings, service, token, **client_options))
    from bot.service import NewsService

    news = NewsService(settings)
    try:
        return _run(serve(settings, news, token, **client_options))
    finally:
        news.close()


def _run(main: Coroutine[Any, Any, int]) -> int:
    try:
        return asyncio.run(main)
    except KeyboardInterrupt:
        return EXIT_OK


async def serve(
    settings: Settings, service: AnswerService, token: str, **client_options: Any
) -> int:
    """Connect and run; with the Message Content intent if the application allows it."""
    message_content = True
    while True:
        bot = NewsBot(settings, service, message_content=message_content, **client_options)
        try:
            async with bot:
                await bot.start(token)
            return EXIT_OK
        except discord.LoginFailure:
            print(f"Error: {BAD_TOKEN}", file=sys.stderr)
            return EXIT_BAD_TOKEN
        except discord.PrivilegedIntentsRequired:
            if not message_content:
                raise
            log.warning(
                "The Message Content intent is not enabled for this application (developer "
                "portal > Bot > Privileged Gateway Intents); running without it: follow-up "
                "questions in threads must mention the bot."
            )
            message_content = False
        except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
            print(f"Error: cannot connect to Discord ({type(exc).__name__}).", file=sys.stderr)
            return EXIT_CANNOT_CONNECT
