"""The Discord stand-in against the real discord.py client: connect, ready, message, reply."""

from __future__ import annotations

import asyncio
import itertools
import time

import discord
import pytest

from tests.discord_standin import LoopLag, StandinDiscord, connected, fixtures, running_standin

standin = fixtures.standin


class EchoClient(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        await message.channel.send(f"echo: {message.content}")


def test_client_connects_receives_and_replies(standin: StandinDiscord) -> None:
    guild = standin.world.add_guild("Test server")
    alice = standin.world.add_member(guild.id, "alice")

    async def scenario() -> None:
        client = EchoClient()
        async with connected(client, standin):
            assert client.user is not None and client.user.id == standin.world.app_id
            seen = client.get_guild(guild.id)
            assert seen is not None and seen.name == "Test server"
            assert seen.me is not None and seen.get_channel(guild.default_channel_id) is not None
            await standin.send_message(guild.default_channel_id, int(alice["id"]), "hi")
            [reply] = await standin.wait_for_request(
                "POST", f"/channels/{guild.default_channel_id}/messages"
            )
            assert reply.json["content"] == "echo: hi"
            assert reply.status == 200
            # Heartbeats are answered: the first one is sent right after HELLO.
            await standin.wait_for(lambda: len(standin.heartbeats) >= 2)

    asyncio.run(scenario())


def test_rejected_token_raises_login_failure(standin: StandinDiscord) -> None:
    async def scenario() -> None:
        client = EchoClient()
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
        await client.close()

    asyncio.run(scenario())


class CommandClient(discord.Client):
    """A minimal app-commands client: /ping defers then follows up; mentions open a thread."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = discord.app_commands.CommandTree(self)
        self.guild_id = guild_id

        @self.tree.command(description="Answer later")
        async def ping(interaction: discord.Interaction, file: discord.Attachment | None = None):
            await interaction.response.defer(thinking=True, ephemeral=True)
            text = (await file.read()).decode() if file else "pong"
            await interaction.followup.send(text, ephemeral=True)

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        if self.user in message.mentions:
            thread = await message.create_thread(name="answer")
            await thread.send("in thread")


def test_slash_command_defer_followup_and_attachment(standin: StandinDiscord) -> None:
    guild = standin.world.add_guild("Test server")
    alice = standin.world.add_member(guild.id, "alice")
    note = standin.world.add_attachment("note.txt", b"hello file", "text/plain")

    async def scenario() -> None:
        async with connected(CommandClient(guild.id), standin):
            [sync] = standin.requests_matching("PUT", f"/guilds/{guild.id}/commands")
            assert [c["name"] for c in sync.json] == ["ping"]
            plain = await standin.invoke("ping", int(alice["id"]), guild_id=guild.id)
            with_file = await standin.invoke(
                "ping", int(alice["id"]), guild_id=guild.id, options={"file": note}
            )
            await standin.wait_for(lambda: plain.messages and with_file.messages)
            assert plain.callback_type == 5 and plain.ephemeral
            assert plain.responded_in_s is not None and plain.responded_in_s < 3
            assert plain.messages[0]["content"] == "pong"
            assert with_file.messages[0]["content"] == "hello file"

    asyncio.run(scenario())


def test_mention_creates_thread_and_answers_there(standin: StandinDiscord) -> None:
    guild = standin.world.add_guild("Test server")
    alice = standin.world.add_member(guild.id, "alice")

    async def scenario() -> None:
        client = CommandClient(guild.id)
        async with connected(client, standin):
            message = await standin.send_message(
                guild.default_channel_id, int(alice["id"]), "hello", mention_bot=True
            )
            thread_id = int(message["id"])
            [post] = await standin.wait_for_request("POST", f"/channels/{thread_id}/messages")
            assert post.json["content"] == "in thread"
            # THREAD_CREATE reached the client, so later messages there resolve to the thread.
            thread = await standin.wait_for(lambda: client.get_channel(thread_id))
            assert isinstance(thread, discord.Thread)
            assert thread.parent_id == guild.default_channel_id

    asyncio.run(scenario())


def test_stand_in_rejects_payloads_over_discord_limits(standin: StandinDiscord) -> None:
    guild = standin.world.add_guild("Test server")

    async def scenario() -> None:
        client = EchoClient()
        async with connected(client, standin):
            channel = client.get_channel(guild.default_channel_id)
            assert isinstance(channel, discord.TextChannel)
            with pytest.raises(discord.HTTPException) as too_long:
                await channel.send("x" * 2001)
            assert too_long.value.status == 400
            embed = discord.Embed(description="y" * 4000)
            for n in range(25):
                embed.add_field(name=f"f{n}", value="z" * 100)
            with pytest.raises(discord.HTTPException):
                await channel.send(embed=embed)  # 4000 + 25 * 102 > 6000

    asyncio.run(scenario())


def test_disallowed_privileged_intent_closes_with_4014() -> None:
    with running_standin(allowed_intents=0) as standin:

        async def scenario() -> None:
            with pytest.raises(discord.PrivilegedIntentsRequired):
                async with connected(EchoClient(), standin):
                    pass

        asyncio.run(scenario())


class BlockingClient(EchoClient):
    """Blocks its event loop for a second on every message: what the bot must never do."""

    async def on_message(self, message: discord.Message) -> None:
        time.sleep(1.0)


def test_heartbeat_timing_shows_a_blocked_event_loop(standin: StandinDiscord) -> None:
    """The control for the bot's responsiveness test: blocking is visible in both measures."""
    guild = standin.world.add_guild("Test server")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    interval = standin.heartbeat_interval_ms / 1000

    async def scenario() -> None:
        async with connected(BlockingClient(), standin):
            async with LoopLag() as lag:
                await asyncio.sleep(0.6)
                started = time.monotonic()
                await standin.send_message(guild.default_channel_id, alice, "block")
                await asyncio.sleep(1.6)
            beats = [b.received_at for b in standin.heartbeats if b.received_at >= started - 0.3]
            gaps = [b - a for a, b in itertools.pairwise(beats)]
            assert max(gaps) > interval + 0.5
            assert lag.worst > 0.9

    asyncio.run(scenario())
