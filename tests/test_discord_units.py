"""The Discord layer's small parts on their own: routing, scopes, cooldown, jobs, uploads, texts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.discord_bot.actions import NewsActions
from bot.discord_bot.conversations import Conversations
from bot.discord_bot.cooldown import Cooldown
from bot.discord_bot.jobs import JobRunner
from bot.discord_bot.mentions import route, strip_mentions_of
from bot.discord_bot.messages import ingest_report, sources_list
from bot.discord_bot.permissions import can_manage
from bot.discord_bot.scopes import Scope, guild_collection
from bot.discord_bot.uploads import (
    UploadError,
    check_attachment,
    safe_filename,
    upload_source,
)
from bot.errors import UserError
from bot.service import IngestItem, SourceInfo
from retrieval.articles import Article
from retrieval.loading import LoadFailure, LoadOptions, load_bytes

BOT = 42


def _route(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "content": "hello",
        "bot_id": BOT,
        "channel_id": 7,
        "mentioned": False,
        "in_dm": False,
        "in_thread": False,
        "bot_thread": False,
        "known_conversation": False,
        "can_open_thread": True,
    }
    values.update(overrides)
    return route(**values)


def test_route_ignores_unaddressed_channel_messages() -> None:
    assert _route() is None
    assert _route(in_thread=True) is None  # someone else's thread, no mention


def test_route_ignores_empty_unaddressed_messages_even_in_its_threads() -> None:
    # What arrives without the Message Content intent: no text unless the bot is mentioned.
    assert _route(content="", in_thread=True, bot_thread=True) is None
    assert _route(content=f"<@{BOT}>", mentioned=True).question == ""


def test_route_mention_in_a_channel_opens_a_thread() -> None:
    request = _route(content=f"<@{BOT}> how many   troops?", mentioned=True)
    assert request.question == "how many troops?"
    assert request.where == "new-thread" and request.conversation_id is None


def test_route_without_thread_support_answers_in_place_without_memory() -> None:
    request = _route(content=f"<@!{BOT}> q", mentioned=True, can_open_thread=False)
    assert request.where == "here" and request.conversation_id is None


def test_route_follow_ups_in_the_bots_threads_and_dms_need_no_mention() -> None:
    for flags in (
        {"in_thread": True, "bot_thread": True},
        {"in_thread": True, "known_conversation": True},
        {"in_dm": True},
    ):
        request = _route(content="How many of them?", **flags)
        assert request.where == "here" and request.conversation_id == 7
    mentioned_elsewhere = _route(in_thread=True, mentioned=True, content=f"<@{BOT}> q")
    assert mentioned_elsewhere.where == "here" and mentioned_elsewhere.conversation_id == 7


def test_strip_mentions_keeps_other_mentions() -> None:
    assert strip_mentions_of(f"<@{BOT}> ask <@99> about it <@!{BOT}>", BOT) == "ask <@99> about it"


def test_scopes_keep_servers_apart_and_dms_on_the_shared_collection() -> None:
    assert Scope(5, "news").search_collections == [guild_collection(5), "news"]
    assert Scope(5, None).search_collections == ["guild-5"]
    assert Scope(None, "news").search_collections == ["news"]
    assert Scope(None, None).search_collections == []
    assert Scope(None, "news").own_collection is None
    assert Scope(6, "news").own_collection != Scope(5, "news").own_collection


def test_cooldown_is_per_user_and_expires() -> None:
    now = [100.0]
    cooldown = Cooldown(5, clock=lambda: now[0])
    assert cooldown.try_acquire(1) == 0
    assert cooldown.try_acquire(2) == 0
    now[0] += 2
    assert cooldown.try_acquire(1) == pytest.approx(3)
    now[0] += 3
    assert cooldown.try_acquire(1) == 0
    assert Cooldown(0).try_acquire(1) == 0 and Cooldown(0).try_acquire(1) == 0


def test_job_runner_bounds_concurrency_and_keeps_the_loop_free() -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def work() -> str:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.1)
        with lock:
            active[0] -= 1
        return threading.current_thread().name

    async def scenario() -> list[str]:
        jobs = JobRunner(2)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        names = await asyncio.gather(*(jobs.run(work) for _ in range(6)))
        task.cancel()
        assert ticks >= 20  # the loop kept running during 0.3 s of blocking work
        assert jobs.running == 0
        return names

    names = asyncio.run(scenario())
    assert peak[0] == 2
    assert "MainThread" not in names


def test_job_runner_keeps_the_slot_until_a_cancelled_job_ends() -> None:
    release = threading.Event()

    async def scenario() -> None:
        jobs = JobRunner(1)
        first = asyncio.create_task(jobs.run(release.wait, 5))
        await asyncio.sleep(0.05)
        first.cancel()
        await asyncio.sleep(0.05)
        assert jobs.running == 1  # the thread still runs, so it still counts
        release.set()
        assert await jobs.run(lambda: "next") == "next"

    asyncio.run(scenario())


def test_conversations_remember_recent_turns_and_forget_old_threads() -> None:
    conversations = Conversations(max_conversations=2, max_turns=2)
    scope = Scope(1, None)
    for n in range(3):
        conversations.add_turn(10, scope, f"q{n}", f"a{n}")
    assert [t.question for t in conversations.get(10).turns] == ["q1", "q2"]
    conversations.add_turn(11, scope, "x", "y")
    conversations.add_turn(12, scope, "x", "y")
    assert conversations.get(10) is None and conversations.get(12) is not None


def test_conversations_in_a_file_survive_a_restart_within_the_same_bounds(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite"
    before = Conversations(path, max_conversations=2, max_turns=2)
    for n in range(3):
        before.add_turn(10, Scope(1, "news"), f"q{n}", f"a{n}")
    before.add_turn(11, Scope(None, "news"), "dm", "answer")
    before.close()

    after = Conversations(path, max_conversations=2, max_turns=2)
    restored = after.get(10)
    assert restored is not None and restored.scope == Scope(1, "news")
    assert [(t.question, t.answer) for t in restored.turns] == [("q1", "a1"), ("q2", "a2")]
    after.add_turn(12, Scope(1, None), "x", "y")  # a third conversation: the oldest goes
    after.close()

    again = Conversations(path, max_conversations=2, max_turns=2)
    assert again.get(10) is None
    assert [t.question for t in again.get(11).turns] == ["dm"]  # type: ignore[union-attr]
    assert again.get(13) is None


class FakeMember(discord.Member):
    """Just enough of a server member for the permission check: its roles."""

    def __init__(self, role_names: list[str]) -> None:
        self._fake_roles = [SimpleNamespace(name=n, id=1000 + i) for i, n in enumerate(role_names)]

    @property
    def roles(self) -> list[Any]:  # type: ignore[override]
        return self._fake_roles


class FakeUser(discord.User):
    def __init__(self) -> None:
        pass


def _member(role_names: list[str]) -> FakeMember:
    return FakeMember(role_names)


def test_can_manage_needs_manage_server_or_the_configured_role() -> None:
    nothing = discord.Permissions.none()
    assert can_manage(_member([]), discord.Permissions(manage_guild=True), None)
    assert can_manage(_member([]), discord.Permissions(administrator=True), None)
    assert not can_manage(_member(["News editors"]), nothing, None)
    assert can_manage(_member(["News Editors"]), nothing, "news editors")
    assert can_manage(_member(["x"]), nothing, "1000")  # by role id
    assert not can_manage(_member(["x"]), nothing, "News editors")
    # A user outside a server (a DM) is never a manager.
    assert not can_manage(FakeUser(), discord.Permissions(manage_guild=True), None)


def test_attachments_are_checked_before_download() -> None:
    check_attachment("notes.MD", 10, 100)
    for name, size, message in (
        ("photo.png", 10, "not a supported file type"),
        ("notes", 10, "not a supported file type"),
        ("notes.txt", 0, "empty"),
        ("notes.txt", 101, "limit is 100 bytes"),
    ):
        with pytest.raises(UploadError, match=message):
            check_attachment(name, size, 100)


def test_safe_filenames_and_upload_sources() -> None:
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\me\\a b.md") == "a b.md"
    assert safe_filename("weird<>|:*?.txt") == "weird_.txt"
    assert safe_filename("...") == "upload"
    long = safe_filename("x" * 300 + ".jsonl")
    assert len(long) <= 100 and long.endswith(".jsonl")
    assert upload_source(7, "dir/Report.txt") == "discord:7/Report.txt"


def test_uploaded_bytes_are_named_after_the_server_not_the_temp_file() -> None:
    options = LoadOptions()
    text = b"A title\nSome text here.\n"
    [article] = load_bytes(text, "note.txt", "discord:1/note.txt", options)
    assert isinstance(article, Article)
    assert article.source == "discord:1/note.txt" and article.title == "A title"

    rows = [json.dumps({"id": "a", "text": "First."}), "{broken", json.dumps({"text": "Third."})]
    items = load_bytes("\n".join(rows).encode(), "feed.jsonl", "discord:1/feed.jsonl", options)
    assert [i.source for i in items] == [
        "discord:1/feed.jsonl#a",
        "discord:1/feed.jsonl:2",
        "discord:1/feed.jsonl:3",
    ]
    assert isinstance(items[1], LoadFailure) and "/tmp" not in items[1].reason

    [failure] = load_bytes(bytes(range(256)) * 10, "bin.txt", "discord:1/bin.txt", options)
    assert isinstance(failure, LoadFailure) and failure.source == "discord:1/bin.txt"
    assert "newsbot-upload" not in failure.reason


def test_ingest_report_lists_every_item_within_message_limits() -> None:
    items = [IngestItem(f"discord:1/f{n}.txt", "added", title=f"T{n}", chunks=2) for n in range(80)]
    items.append(IngestItem("discord:1/bad.txt", "failed", reason="not text: " + "x" * 900))
    messages = ingest_report(items)
    assert all(len(m) <= 2000 for m in messages)
    joined = "\n".join(messages)
    assert "80 added, 1 failed" in joined
    assert all(f"f{n}.txt" in joined for n in range(80)) and "❌ failed" in joined


def test_sources_list_is_bounded_and_counts_what_it_leaves_out() -> None:
    infos = [
        SourceInfo(
            f"https://example.com/{n}",
            f"Title {n} " + "w" * 80,
            f"https://e.com/{n}",
            "2024-10-30",
            "fr",
            3,
            "guild-1" if n % 2 else "news",
        )
        for n in range(300)
    ]
    messages = sources_list(infos, Scope(1, "news"), max_messages=3)
    assert len(messages) == 3 and all(len(m) <= 2000 for m in messages)
    shown = sum(m.count("\n• ") + m.startswith("• ") for m in messages)
    assert messages[-1].endswith(f"…and {300 - shown} more.")
    assert "this server" in messages[0] and "shared" in messages[0]
    assert sources_list([], Scope(1, "news"))[0].startswith("No articles")
    assert "direct messages" in sources_list([], Scope(None, None))[0]


def test_upload_temp_dir_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    load_bytes(b"Text.\n", "a.txt", "discord:1/a.txt", LoadOptions())
    assert list(tmp_path.iterdir()) == []


class SpyService:
    """Records the calls the actions make; answers nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return SimpleNamespace(items=[])

        return record


def test_url_ingest_never_allows_private_addresses_and_needs_http() -> None:
    spy = SpyService()
    actions = NewsActions(spy, JobRunner(1))  # type: ignore[arg-type]

    async def scenario() -> None:
        await actions.ingest_url("https://example.com/a", Scope(5, "news"))
        with pytest.raises(UserError, match="http"):
            await actions.ingest_url("file:///etc/passwd", Scope(5, "news"))
        with pytest.raises(UserError, match="server"):
            await actions.ingest_url("https://example.com/a", Scope(None, "news"))
        with pytest.raises(UserError, match="server"):
            await actions.forget("x", Scope(None, "news"))

    asyncio.run(scenario())
    [(name, args, kwargs)] = spy.calls
    assert name == "ingest" and args == (["https://example.com/a"],)
    assert kwargs == {"collection": "guild-5", "allow_private_urls": False}


def test_asking_with_nothing_to_search_is_a_friendly_error() -> None:
    actions = NewsActions(SpyService(), JobRunner(1))  # type: ignore[arg-type]
    with pytest.raises(UserError, match="direct messages"):
        asyncio.run(actions.ask("q", Scope(None, None)))
