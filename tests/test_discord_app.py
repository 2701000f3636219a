"""Starting the bot: missing or rejected token, no privileged intent; the token is never shown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.answering.answer import Answer
from bot.discord_bot.app import EXIT_BAD_TOKEN, EXIT_NO_TOKEN, run_discord, serve
from tests.discord_standin import StandinDiscord, fixtures, running_standin
from tests.discord_standin.newsbot import bot_settings

standin = fixtures.standin

MESSAGE_CONTENT = 1 << 15


class NoService:
    """Starting and stopping must not need the answering service at all."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the service was used: {name}")

    def ask(self, question: str, **_: Any) -> Answer:
        raise AssertionError("the service was used")


async def _stop(task: asyncio.Task[Any]) -> None:
    # Python 3.11's asyncio.wait_for can swallow a cancellation that arrives just as the
    # connection completes (fixed in 3.12), so cancel until the task is really done.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()


def test_missing_token_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_discord(bot_settings(tmp_path), service=NoService()) == EXIT_NO_TOKEN
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and "developer portal" in err
    blank = bot_settings(tmp_path, discord_token="   ")
    assert run_discord(blank, service=NoService()) == EXIT_NO_TOKEN


def test_cli_discord_command_reports_a_missing_token() -> None:
    from bot.cli import app

    result = CliRunner().invoke(app, ["discord"])
    assert result.exit_code == EXIT_NO_TOKEN
    assert "DISCORD_TOKEN" in result.output + (result.stderr or "")


def test_rejected_token_exits_3_and_is_never_logged(
    standin: StandinDiscord,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "MTIzNDU2Nzg5.wrong-token.abcdefghijklmnop"
    settings = bot_settings(tmp_path, discord_token=secret)
    with caplog.at_level(logging.DEBUG):
        assert run_discord(settings, service=NoService()) == EXIT_BAD_TOKEN
    captured = capsys.readouterr()
    assert "rejected the bot token" in captured.err
    assert secret not in captured.out + captured.err
    assert secret not in caplog.text
    assert [r.path for r in standin.requests] == ["/users/@me"]


def test_without_the_message_content_intent_the_bot_still_starts(tmp_path: Path) -> None:
    with running_standin(allowed_intents=0) as local:
        local.world.add_guild("A")
        settings = bot_settings(tmp_path, discord_token=local.token)

        async def scenario() -> None:
            task = asyncio.create_task(
                serve(settings, NoService(), local.token, guild_ready_timeout=0.05)
            )
            try:
                await local.wait_for(lambda: any(s.identified for s in local.sessions))
                await local.wait_for_request("PUT", "/commands", count=2)
            finally:
                await _stop(task)

        asyncio.run(scenario())
        first, second = local.sessions[:2]
        assert not first.identified  # closed with 4014: the intent is not allowed
        assert second.identified and not second.intents & MESSAGE_CONTENT


def test_commands_are_synced_to_the_configured_test_server(
    standin: StandinDiscord, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("Test server")
    settings = bot_settings(tmp_path, discord_token=standin.token, discord_guild_id=guild.id)

    async def scenario() -> None:
        task = asyncio.create_task(
            serve(settings, NoService(), standin.token, guild_ready_timeout=0.05)
        )
        try:
            [sync] = await standin.wait_for_request("PUT", f"/guilds/{guild.id}/commands")
        finally:
            await _stop(task)
        names = sorted(command["name"] for command in sync.json)
        assert names == ["ask", "feed", "forget", "help", "ingest", "sources"]
        ask = next(c for c in sync.json if c["name"] == "ask")
        assert [o["name"] for o in ask["options"]] == ["question", "private"]
        assert not standin.requests_to("PUT", f"/applications/{standin.world.app_id}/commands")

    asyncio.run(scenario())
