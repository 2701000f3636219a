"""newsbot on Discord, end to end: the real discord.py client, the stand-in, the real service."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.answering.answer import Answer, Citation
from bot.answering.followup import Turn
from bot.discord_bot.conversations import Conversations
from bot.discord_bot.render import cited_numbers, render_answer_messages
from bot.service import NewsService
from tests.discord_standin import LoopLag, StandinDiscord, fixtures
from tests.discord_standin.newsbot import (
    ADMIN_ROLE,
    bold_in_quotes,
    bot_settings,
    embeds_of,
    field_numbers,
    quoted,
    running_bot,
)
from tests.discord_standin.payloads import MANAGE_GUILD

standin = fixtures.standin

QUESTION = "How many North Korean soldiers are deployed in Kursk?"
HARBOUR = (
    "Port Lumen harbour reopens after repairs\n"
    "The harbour of Port Lumen reopened on Tuesday after fourteen months of repairs. "
    "The works cost 42 million euros and were paid by the regional council. "
    "Fishermen welcomed the reopening of the harbour.\n"
)
HARBOUR_QUESTION = "When did the harbour of Port Lumen reopen?"


class RecordingService:
    """The real service, with every ask() call recorded."""

    def __init__(self, inner: NewsService) -> None:
        self.inner = inner
        self.asked: list[dict[str, Any]] = []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.asked.append({"question": question, **kwargs})
        return self.inner.ask(question, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _run(coro: Any) -> None:
    asyncio.run(coro)


def _sample_quotes_are_exact(embeds: list[dict[str, Any]], sample_text: str) -> list[str]:
    quotes = quoted(embeds)
    assert quotes, "no citation fields"
    for quote in quotes:
        assert quote in sample_text
    return quotes


# --- /ask ------------------------------------------------------------------------------------


def _ask_in_a_guild(
    standin: StandinDiscord, service: NewsService, tmp_path: Path, question: str
) -> Any:
    """One /ask by a member of a new guild, run until answered; the interaction's record."""
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    records = []

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), service):
            record = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": question}
            )
            await standin.wait_for(lambda: record.messages, timeout=60)
            records.append(record)

    _run(scenario())
    return records[0]


def test_ask_is_deferred_then_answered_with_a_quote_from_the_article(
    standin: StandinDiscord, sample_service: NewsService, sample_text: str, tmp_path: Path
) -> None:
    record = _ask_in_a_guild(standin, sample_service, tmp_path, QUESTION)
    # Deferred (type 5, "thinking") well within Discord's three seconds, and public.
    assert record.callback_type == 5 and not record.ephemeral
    assert record.responded_in_s is not None and record.responded_in_s < 3
    [message] = record.messages
    [embed] = message["embeds"]
    assert embed["title"] == QUESTION
    assert "[1]" in embed["description"]
    quotes = _sample_quotes_are_exact([embed], sample_text)
    assert any("8000" in q for q in quotes)
    assert message["flags"] & 64 == 0


def test_the_answering_sentence_is_bold_inside_its_quoted_passage(
    standin: StandinDiscord, sample_service: NewsService, sample_text: str, tmp_path: Path
) -> None:
    question = "How much ground did the Russian army gain in October?"
    sentence = (
        "En octobre, l’armée russe a gagné près de 500 km2, "
        "sa plus grande avancée depuis mars 2022."
    )
    record = _ask_in_a_guild(standin, sample_service, tmp_path, question)
    [embed] = record.messages[0]["embeds"]
    # The passage reads as in the article; only the answering sentence is bold.
    [passage] = _sample_quotes_are_exact([embed], sample_text)
    assert passage.endswith(sentence) and len(passage) > len(sentence)
    assert bold_in_quotes(embed) == [sentence]
    assert embed["description"].startswith(f"{sentence} [1]")


def test_private_ask_is_ephemeral_and_dm_uses_the_shared_collection(
    standin: StandinDiscord, sample_service: NewsService, sample_text: str, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), sample_service):
            private = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": QUESTION, "private": True}
            )
            in_dm = await standin.invoke("ask", alice, options={"question": QUESTION})
            await standin.wait_for(lambda: private.messages and in_dm.messages, timeout=60)
            assert private.ephemeral and private.messages[0]["flags"] & 64
            assert any("8000" in q for q in quoted(embeds_of(in_dm.messages)))

    _run(scenario())


def test_cooldown_answers_a_fast_second_question_politely(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    settings = bot_settings(tmp_path, discord_cooldown_s=60)

    async def scenario() -> None:
        async with running_bot(standin, settings, sample_service):
            first = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": QUESTION}
            )
            second = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": "And then?"}
            )
            await standin.wait_for(lambda: first.messages and second.messages, timeout=60)
            assert second.callback_type == 4 and second.ephemeral
            assert "try again in" in second.messages[0]["content"]
            assert first.messages[0]["embeds"]

    _run(scenario())


# --- mentions and threads --------------------------------------------------------------------


def test_mention_is_answered_in_a_thread_and_follow_up_uses_the_context(
    standin: StandinDiscord,
    sample_service: NewsService,
    sample_text: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    channel = guild.default_channel_id
    service = RecordingService(sample_service)
    save_threads: list[int] = []
    save_turn = Conversations.save_turn

    def recording_save(self: Conversations, *args: Any) -> None:
        save_threads.append(threading.get_ident())
        save_turn(self, *args)

    monkeypatch.setattr(Conversations, "save_turn", recording_save)

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), service):
            # Not addressed to the bot: ignored.
            await standin.send_message(channel, alice, "Anyone read the news today?")
            question = await standin.send_message(channel, alice, QUESTION, mention_bot=True)
            thread_id = int(question["id"])
            [made] = await standin.wait_for_request("POST", f"/messages/{thread_id}/threads")
            assert made.json["name"] == QUESTION
            [answer] = await standin.wait_for_request(
                "POST", f"/channels/{thread_id}/messages", timeout=60
            )
            _sample_quotes_are_exact(answer.json["embeds"], sample_text)

            # A follow-up in the thread, without a mention, carries the first question along.
            await standin.send_message(thread_id, alice, "How many of them?")
            posts = await standin.wait_for_request(
                "POST", f"/channels/{thread_id}/messages", count=2, timeout=60
            )
            follow = posts[1].json
            assert int(follow["message_reference"]["channel_id"]) == thread_id
            last = service.asked[-1]
            assert last["question"] == "How many of them?"
            assert [turn.question for turn in last["history"]] == [QUESTION]
            assert isinstance(last["history"][0], Turn)
            assert any("8000" in q for q in quoted(follow["embeds"]))
            # The bot's own messages (echoed by the gateway) and the unaddressed one got no answer.
            await asyncio.sleep(0.3)
            assert len(standin.requests_to("POST", f"/channels/{thread_id}/messages")) == 2
            assert not standin.requests_to("POST", f"/channels/{channel}/messages")
            assert len(service.asked) == 2

        # After a restart of the bot, the thread's conversation is still known.
        async with running_bot(standin, bot_settings(tmp_path), service):
            await standin.send_message(thread_id, alice, "Where are they deployed?")
            await standin.wait_for_request(
                "POST", f"/channels/{thread_id}/messages", count=3, timeout=60
            )
            history = service.asked[-1]["history"]
            assert [turn.question for turn in history] == [QUESTION, "How many of them?"]

    _run(scenario())
    # Every turn was written to the conversation file by a worker thread, not the event loop's.
    assert len(save_threads) == 3 and threading.get_ident() not in save_threads


def test_dm_messages_are_answered_from_the_shared_collection_with_context(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    bob = int(standin.world.add_user("bob")["id"])
    dm = int(standin.world.dm_channel_for(bob)["id"])
    service = RecordingService(sample_service)

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), service):
            await standin.send_message(dm, bob, QUESTION)
            await standin.wait_for_request("POST", f"/channels/{dm}/messages", timeout=60)
            await standin.send_message(dm, bob, "How many of them?")
            await standin.wait_for_request("POST", f"/channels/{dm}/messages", count=2)
            assert service.asked[0]["collections"] == ["news"]
            assert service.asked[1]["history"][0].question == QUESTION

    _run(scenario())


# --- mentions never ping ---------------------------------------------------------------------


def test_article_mentions_never_ping(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("News fans")
    role = standin.world.add_role(guild.id, "Subscribers")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    owner = int(standin.world.owner_user["id"])
    text = (
        "Alert for the Glimmer valley\n"
        f"@everyone in the Glimmer valley must boil water, said the mayor to <@&{role}> "
        f"and <@{alice}>. The Glimmer valley water alert lasts until Friday.\n"
    )
    upload = standin.world.add_attachment("alert.txt", text.encode(), "text/plain")

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), sample_service):
            ingest = await standin.invoke(
                "ingest", owner, guild_id=guild.id, options={"file": upload}
            )
            await standin.wait_for(lambda: ingest.messages, timeout=60)
            assert "added" in ingest.messages[0]["content"]
            question = "Who must boil water in the Glimmer valley?"
            ask = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": question}
            )
            mention = await standin.send_message(
                guild.default_channel_id, alice, question, mention_bot=True
            )
            await standin.wait_for(lambda: ask.messages, timeout=60)
            await standin.wait_for_request(
                "POST", f"/channels/{mention['id']}/messages", timeout=60
            )
            payloads = standin.message_payloads()
            text_sent = str(payloads)
            assert "@everyone" in text_sent and f"<@&{role}>" in text_sent
            for payload in payloads:
                allowed = payload.get("allowed_mentions")
                # Nothing parsed, no user or role listed, the replied-to author not pinged.
                assert allowed is not None and allowed["parse"] == [], payload
                assert not (allowed.get("users") or allowed.get("roles")), payload
                assert not allowed.get("replied_user"), payload

    _run(scenario())


# --- long answers ----------------------------------------------------------------------------


class LongAnswerService:
    """Answers every question with a long text citing many passages."""

    def __init__(self, n_citations: int = 30) -> None:
        self.n = n_citations

    def ask(self, question: str, **_: Any) -> Answer:
        sentence = "Selon des sources occidentales, les soldats nord-coréens avancent vers Koursk"
        text = " ".join(f"{sentence}, point {n} [{n}]." for n in range(1, self.n + 1)) * 2
        citations = [
            Citation(
                n=n,
                source=f"feed/{n}",
                title=f"Article numéro {n} " + "long " * 60,
                url=f"https://example.com/{n}",
                quote=f"{sentence} (passage {n}). " * 12,
                start=n * 1000,
                end=n * 1000 + 900,
                score=0.9,
                article_id=f"a{n}",
            )
            for n in range(1, self.n + 1)
        ]
        return Answer(question=question, answer=text, abstained=False, citations=citations)


def _check_long_answer(messages: Sequence[dict[str, Any]]) -> None:
    embeds = embeds_of(list(messages))
    text = " ".join(e.get("description", "") for e in embeds)
    assert len(text) > 2000 and len(messages) > 1
    assert field_numbers(embeds) >= set(cited_numbers(text))
    assert field_numbers(embeds) == set(range(1, 31))


def test_long_answer_is_split_within_limits_and_keeps_referenced_citations(
    standin: StandinDiscord, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), LongAnswerService()):
            expected = len(render_answer_messages(LongAnswerService().ask("Everything?")))
            record = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": "Everything?"}
            )
            mention = await standin.send_message(
                guild.default_channel_id, alice, "Everything?", mention_bot=True
            )
            await standin.wait_for(lambda: len(record.messages) == expected)
            posts = await standin.wait_for_request(
                "POST", f"/channels/{mention['id']}/messages", count=expected
            )
            _check_long_answer(record.messages)
            _check_long_answer([r.json for r in posts])
            # The stand-in refuses payloads over Discord's limits (400); none was refused.
            assert not [r for r in standin.requests if r.status >= 400]

    _run(scenario())


# --- permissions and per-server isolation ----------------------------------------------------


def test_only_managers_change_articles_and_they_stay_in_their_server(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    world = standin.world
    server_a, server_b = world.add_guild("A"), world.add_guild("B")
    editors = world.add_role(server_a.id, ADMIN_ROLE)
    managers = world.add_role(server_a.id, "Mods", MANAGE_GUILD)
    bob = int(world.add_member(server_a.id, "bob")["id"])
    carol = int(world.add_member(server_a.id, "carol", roles=(editors,))["id"])
    dave = int(world.add_member(server_a.id, "dave", roles=(managers,))["id"])
    erin = int(world.add_member(server_b.id, "erin")["id"])
    upload = world.add_attachment("harbour.txt", HARBOUR.encode(), "text/plain")
    source = f"discord:{server_a.id}/harbour.txt"

    async def ask(user: int, guild_id: int | None) -> list[str]:
        record = await standin.invoke(
            "ask", user, guild_id=guild_id, options={"question": HARBOUR_QUESTION}
        )
        await standin.wait_for(lambda: record.messages, timeout=60)
        return quoted(embeds_of(record.messages))

    async def command(name: str, user: int, guild_id: int | None, **options: Any) -> str:
        record = await standin.invoke(name, user, guild_id=guild_id, options=options)
        await standin.wait_for(lambda: record.messages, timeout=60)
        assert record.ephemeral
        return " ".join(m["content"] for m in record.messages)

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), sample_service):
            # bob has no permission: refused at once, the file is never downloaded.
            refused = await command("ingest", bob, server_a.id, file=upload)
            assert "Manage Server" in refused and ADMIN_ROLE in refused
            assert "Manage Server" in await command("forget", bob, server_a.id, source=source)
            assert not standin.attachment_downloads

            # carol has the configured role.
            report = await command("ingest", carol, server_a.id, file=upload)
            assert "1 added" in report and source in report
            assert any("Port Lumen" in q for q in await ask(bob, server_a.id))
            assert source in await command("sources", bob, server_a.id)

            # Server B and DMs never see server A's article.
            assert not any("Port Lumen" in q for q in await ask(erin, server_b.id))
            assert not any("Port Lumen" in q for q in await ask(erin, None))
            assert source not in await command("sources", erin, server_b.id)
            assert "server" in await command("ingest", erin, None, url="https://example.com/x")

            # dave manages the server: forgetting removes the article from A.
            assert "Removed 1 article" in await command("forget", dave, server_a.id, source=source)
            assert not any("Port Lumen" in q for q in await ask(bob, server_a.id))

    _run(scenario())


# --- responsiveness --------------------------------------------------------------------------


class SlowService(RecordingService):
    """The real service, answering again and again for a second and a half per question.

    Real work (embedding, search, sentence scoring), not a sleep: it holds the GIL as the
    answering does, so the test sees the contention the event loop will meet.
    """

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.asked.append({"question": question, "thread": threading.current_thread().name})
        deadline = time.perf_counter() + 1.5
        n = 0
        while True:
            # A new question each time, so the embedding cache cannot shortcut the work.
            answer = self.inner.ask(f"{question} ({n})", **kwargs)
            n += 1
            if time.perf_counter() >= deadline:
                return answer


def test_heartbeats_are_acknowledged_on_time_while_an_answer_computes(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    guild = standin.world.add_guild("News fans")
    users = [int(standin.world.add_member(guild.id, f"user{n}")["id"]) for n in range(3)]
    service = SlowService(sample_service)
    interval = standin.heartbeat_interval_ms / 1000

    async def scenario() -> None:
        async with running_bot(standin, bot_settings(tmp_path), service):
            async with LoopLag() as lag:
                started = time.monotonic()
                records = [
                    await standin.invoke(
                        "ask", user, guild_id=guild.id, options={"question": QUESTION}
                    )
                    for user in users
                ]
                await standin.wait_for(lambda: all(r.messages for r in records), timeout=60)
                finished = time.monotonic()
            assert all(r.responded_in_s is not None and r.responded_in_s < 0.5 for r in records)
            # Two jobs at once: three 1.5 s answers take two rounds.
            assert finished - started >= 2.9
            assert all(call["thread"] != "MainThread" for call in service.asked)
            beats = [b for b in standin.heartbeats if started <= b.received_at <= finished]
            # Margins allow for a busy shared machine; an answer computed on the loop would
            # stall it for its whole 1.5 s (see the blocked-loop control test).
            assert len(beats) >= int((finished - started) / interval) - 3
            gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(beats)]
            assert max(gaps) < 2 * interval, gaps
            assert all(b.acked_at - b.received_at < 0.05 for b in beats)
            assert lag.percentile(99) < 0.1 and lag.worst < 0.25, (lag.percentile(99), lag.worst)

    _run(scenario())


# --- bad attachments -------------------------------------------------------------------------


def test_bad_attachments_get_a_clear_private_error_and_nothing_is_lost(
    standin: StandinDiscord, sample_service: NewsService, tmp_path: Path
) -> None:
    world = standin.world
    guild = world.add_guild("A")
    owner = int(world.owner_user["id"])
    good = world.add_attachment("harbour.txt", HARBOUR.encode(), "text/plain")
    binary = world.add_attachment("photo.txt", bytes(range(256)) * 40, "text/plain")
    wrong_type = world.add_attachment("report.pdf", b"%PDF-1.7 ...", "application/pdf")
    too_big = world.add_attachment("huge.md", b"# Big\n" + b"word " * 5000, "text/markdown")
    settings = bot_settings(tmp_path, max_download_bytes=20_000)

    async def ingest(attachment: Any) -> tuple[str, Any]:
        record = await standin.invoke(
            "ingest", owner, guild_id=guild.id, options={"file": attachment}
        )
        await standin.wait_for(lambda: record.messages, timeout=60)
        assert record.ephemeral
        return record.messages[0]["content"], record

    async def scenario() -> None:
        async with running_bot(standin, settings, sample_service):
            assert "1 added" in (await ingest(good))[0]

            text, record = await ingest(wrong_type)
            assert "not a supported file type" in text and record.callback_type == 4
            text, record = await ingest(too_big)
            assert "limit is 20 kB" in text and record.callback_type == 4
            assert standin.attachment_downloads == [good.id]

            text, record = await ingest(binary)
            assert record.callback_type == 5 and "1 failed" in text and "photo.txt" in text
            assert "/tmp" not in text and "Traceback" not in text

            listed = await standin.invoke("sources", owner, guild_id=guild.id)
            await standin.wait_for(lambda: listed.messages)
            listing = listed.messages[0]["content"]
            assert "harbour.txt" in listing and "photo.txt" not in listing

    _run(scenario())


@pytest.fixture(autouse=True)
def _fail_on_unknown_routes(standin: StandinDiscord) -> Any:
    """Every REST call the bot makes must be one the stand-in knows (a 404 would hide a bug)."""
    yield
    unknown = [r for r in standin.requests if r.status == 404]
    assert not unknown, unknown
