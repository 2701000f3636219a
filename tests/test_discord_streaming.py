"""Streaming generated answers on Discord: throttled preview edits, then the verified answer."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answer_types import Answer
from bot.discord_bot.streaming import EDIT_INTERVAL_S, EditThrottle, LivePreview, preview_text
from bot.service import NewsService
from bot.settings import Settings
from tests.conftest import SAMPLE
from tests.discord_standin import StandinDiscord, fixtures
from tests.discord_standin.newsbot import SHARED, bot_settings, quoted, running_bot
from tests.llm_server import (  # noqa: F401  (fixtures are found by their names)
    Reply,
    ScriptedLLM,
    passage_number,
    scripted_llm_fixture,
    scripted_llm_server_fixture,
)

standin = fixtures.standin

QUESTION = "How many North Korean soldiers are deployed in Kursk?"
TROOPS_SENTENCE = "8000 des 10000"


# --- the throttle ------------------------------------------------------------------------------


def test_throttle_allows_one_edit_per_interval() -> None:
    throttle = EditThrottle(1.2)
    assert throttle.wait_s(10.0) == 0
    throttle.edited(10.0)
    assert throttle.wait_s(10.5) == pytest.approx(0.7)
    assert throttle.wait_s(11.2) == 0
    assert throttle.wait_s(15.0) == 0


def test_preview_is_the_beginning_within_the_message_limit() -> None:
    assert preview_text("  short  ") == "short"
    long = preview_text("word " * 1000)
    assert len(long) <= 2000 and long.endswith("…") and long.startswith("word word")


def test_tokens_from_a_thread_give_spaced_edits_and_the_final_one_comes_last() -> None:
    interval = 0.15
    # Token arrival times (seconds after the start): a burst, a pause, a steady trickle.
    arrivals = [0.0, 0.01, 0.02, 0.03, 0.4, 0.42] + [0.5 + 0.03 * i for i in range(20)]
    edits: list[tuple[float, str]] = []

    async def scenario() -> None:
        started = time.monotonic()

        async def edit(text: str) -> None:
            edits.append((time.monotonic() - started, text))
            await asyncio.sleep(0.01)  # a request takes a moment

        preview = LivePreview(edit, interval_s=interval)

        def model() -> None:  # the answering service's worker thread
            for n, at in enumerate(arrivals):
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                preview.on_token(f" t{n}")

        await asyncio.to_thread(model)
        assert await preview.finish()
        edits.append((time.monotonic() - started, "final"))

    asyncio.run(scenario())
    times = [at for at, _ in edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Each gap is measured from the start of one edit, the interval from the end of it.
    assert all(gap >= interval for gap in gaps), gaps
    assert len(edits) >= 4 and edits[-1][1] == "final"
    previews = [text for _, text in edits[:-1]]
    assert previews[0].startswith("t0")
    assert all(b.startswith(a) and len(b) > len(a) for a, b in itertools.pairwise(previews))
    # The bursts are merged: far fewer edits than tokens.
    assert len(previews) < len(arrivals) / 2


# --- end to end: discord.py, the stand-in, the real service with a scripted LLM ----------------


class SlowTokens:
    """The real service, with the model's tokens arriving at a human reading pace."""

    def __init__(self, inner: NewsService, token_delay_s: float) -> None:
        self.inner = inner
        self.token_delay_s = token_delay_s
        self.token_threads: set[int] = set()

    def ask(self, question: str, **kwargs: Any) -> Answer:
        on_token = kwargs.pop("on_token", None)
        assert on_token is not None, "the bot does not stream although an LLM is configured"

        def slowly(token: str) -> None:
            self.token_threads.add(threading.get_ident())
            time.sleep(self.token_delay_s)
            on_token(token)

        return self.inner.ask(question, on_token=slowly, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def llm_service(scripted_llm: ScriptedLLM, tmp_path: Path) -> Iterator[NewsService]:
    settings = Settings(
        data_dir=tmp_path / "data",
        llm_backend="openai",
        llm_base_url=scripted_llm.base_url,
        llm_model="scripted",
        llm_timeout_s=10,
    )
    service = NewsService(settings)
    report = service.ingest([str(SAMPLE)], collection=SHARED)
    assert report.count("added") == 1, report.items
    yield service
    service.close()


def troops_reply(body: dict) -> str:
    n = passage_number(body, TROOPS_SENTENCE)
    return (
        "According to the article, up to 8,000 of the 10,000 North Korean soldiers sent to "
        f"Russia are deployed in the Kursk region, where they fight alongside Russian troops [{n}]."
    )


def test_ask_streams_throttled_previews_then_the_verified_answer(
    standin: StandinDiscord,
    llm_service: NewsService,
    scripted_llm: ScriptedLLM,
    sample_text: str,
    tmp_path: Path,
) -> None:
    scripted_llm.script(Reply(troops_reply))
    service = SlowTokens(llm_service, token_delay_s=0.1)
    guild = standin.world.add_guild("News fans")
    alice = int(standin.world.add_member(guild.id, "alice")["id"])
    settings = bot_settings(
        tmp_path, llm_backend="openai", llm_base_url=scripted_llm.base_url, llm_model="scripted"
    )

    tokens: list[str] = []

    async def scenario() -> None:
        async with running_bot(standin, settings, service):
            record = await standin.invoke(
                "ask", alice, guild_id=guild.id, options={"question": QUESTION}
            )

            def answered() -> bool:
                return any(m.get("embeds") for m in record.messages)

            await standin.wait_for(answered, timeout=25, what="the verified answer")
            assert record.callback_type == 5 and record.responded_in_s is not None
            assert record.responded_in_s < 3
            tokens.append(record.token)

    asyncio.run(scenario())

    [token] = tokens
    edits = [
        r
        for r in standin.requests_matching("PATCH", "/webhooks/")
        if r.path.endswith(f"/{token}/messages/@original")
    ]
    posts = [r for r in standin.requests_matching("POST", "/webhooks/") if token in r.path]
    assert all(r.status == 200 for r in edits + posts)
    previews = [r for r in edits if not r.json.get("embeds")]
    final = [r for r in edits if r.json.get("embeds")]
    # Partial, unverified text first, growing, with no embed and no mention allowed.
    assert len(previews) >= 2, [r.json for r in edits]
    texts = [r.json["content"] for r in previews]
    assert texts[0].startswith("According") and len(texts[0]) < len(texts[-1])
    assert all(r.json["allowed_mentions"]["parse"] == [] for r in previews)
    assert "According to the article, up to 8,000" in texts[-1]
    # Then the verified answer replaces the preview in the original response.
    assert len(final) == 1 and final[0] is edits[-1]
    assert not posts or min(p.at for p in posts) > final[0].at
    [embed] = final[0].json["embeds"]
    assert embed["title"] == QUESTION and "[1]" in embed["description"]
    quotes = quoted(embed)
    assert quotes and all(q in sample_text for q in quotes)
    assert final[0].json.get("content") in (None, "")
    # Never more than one edit of the message per interval (Discord allows ~5 per 5 s).
    times = [r.at for r in edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= EDIT_INTERVAL_S * 0.95 for gap in gaps), gaps
    # Tokens came from the worker thread, not the event loop's.
    assert service.token_threads and threading.get_ident() not in service.token_threads
