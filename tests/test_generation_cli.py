"""Streaming in `newsbot ask --mode generate` and `newsbot chat`, against the scripted server."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.chat_session import run_chat
from bot.cli import app
from bot.service import NewsService
from bot.settings import Settings, get_settings
from tests.llm_server import (  # noqa: F401  (fixtures are found by their names)
    Reply,
    ScriptedLLM,
    passage_number,
    scripted_llm_fixture,
    scripted_llm_server_fixture,
)
from tests.sample_store import sample_data_dir


def troops_reply(body: dict) -> str:
    n = passage_number(body, "8000 des 10000")
    return f"Up to 8,000 of the 10,000 North Korean soldiers are deployed in Kursk [{n}]."


@pytest.fixture
def llm_env(scripted_llm: ScriptedLLM, monkeypatch: pytest.MonkeyPatch) -> ScriptedLLM:
    monkeypatch.setenv("NEWSBOT_LLM_BACKEND", "openai")
    monkeypatch.setenv("NEWSBOT_LLM_BASE_URL", scripted_llm.base_url)
    monkeypatch.setenv("NEWSBOT_LLM_MODEL", "scripted")
    get_settings.cache_clear()
    return scripted_llm


def test_ask_streams_tokens_then_prints_the_verified_answer(llm_env: ScriptedLLM) -> None:
    llm_env.script(Reply(lambda body: troops_reply(body) + " Kim Jong Un sent 50,000 [1]."))
    data_dir = str(sample_data_dir())
    result = CliRunner().invoke(
        app, ["ask", "How many troops?", "--mode", "generate", "--data-dir", data_dir]
    )
    assert result.exit_code == 0, result.output
    streamed, _, verified = result.output.partition("Answer")
    assert "Up to 8,000" in streamed and "50,000" in streamed
    assert "Up to 8,000" in verified and "50,000" not in verified.split("dropped")[0]
    assert "dropped 1 unsupported sentence" in verified
    assert "8000 des 10000" in verified  # the quoted passage, from the store


def test_ask_json_does_not_stream(llm_env: ScriptedLLM) -> None:
    llm_env.script(Reply(troops_reply))
    data_dir = str(sample_data_dir())
    result = CliRunner().invoke(
        app, ["ask", "How many troops?", "--mode", "generate", "--json", "--data-dir", data_dir]
    )
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{") and '"mode": "generated"' in result.output


def test_chat_streams_and_rewrites_the_follow_up(
    scripted_llm: ScriptedLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    rewritten = "Where are the North Korean soldiers deployed?"
    scripted_llm.script(Reply(troops_reply), rewritten, Reply(troops_reply))
    questions = iter(["How many troops?", "Where are they deployed?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(questions))
    settings = Settings(
        data_dir=sample_data_dir(),
        llm_backend="openai",
        llm_base_url=scripted_llm.base_url,
        llm_model="scripted",
    )
    service = NewsService(settings)
    out = io.StringIO()
    try:
        assert run_chat(service, Console(file=out, width=200)) == 0
    finally:
        service.close()
    text = out.getvalue()
    assert text.count("Up to 8,000 of the 10,000") >= 4  # streamed, then verified, twice
    assert f"(searched for: {rewritten})" in text
    rewrite_request = scripted_llm.requests[1]
    assert "User: How many troops?" in str(rewrite_request["messages"])
