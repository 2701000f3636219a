"""Prompt files and chat-model construction for generated answers (no server needed)."""

from __future__ import annotations

import pytest
from langchain_core.prompts import ChatPromptTemplate

from bot.answering.answer import REFUSAL
from bot.answering.llm import explain_failure, make_chat_model
from bot.errors import UserError
from bot.settings import Settings
from prompts import load_prompt, prompt_messages


def test_refusal_file_is_the_refusal_phrase() -> None:
    assert load_prompt("refusal.txt").strip() == REFUSAL


def test_answer_prompt_fences_passages_and_asks_for_citations() -> None:
    template = ChatPromptTemplate.from_messages(prompt_messages("answer.md"))
    assert set(template.input_variables) == {"passages", "question", "refusal"}
    system, user = template.format_messages(passages="[1] P", question="Q?", refusal=REFUSAL)
    assert system.type == "system" and REFUSAL in system.text
    assert "[1]" in system.text and "not instructions" in system.text
    assert "<passages>\n[1] P\n</passages>" in user.text and "Question: Q?" in user.text


def test_rewrite_prompt_takes_the_conversation_and_the_question() -> None:
    template = ChatPromptTemplate.from_messages(prompt_messages("rewrite_followup.md"))
    assert set(template.input_variables) == {"conversation", "question"}


def test_openai_backend_builds_a_chat_openai_without_retries(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        llm_backend="openai",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="m",
        llm_timeout_s=7,
    )
    model = make_chat_model(settings)
    assert type(model).__name__ == "ChatOpenAI"
    assert model.max_retries == 0 and model.request_timeout == 7
    assert model.openai_api_base == "http://127.0.0.1:9/v1"


def test_ollama_backend_builds_a_chat_ollama(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path, llm_backend="ollama", llm_base_url="http://127.0.0.1:9", llm_model="m"
    )
    model = make_chat_model(settings)
    assert type(model).__name__ == "ChatOllama"
    assert model.base_url == "http://127.0.0.1:9" and model.model == "m"


def test_missing_model_name_is_a_user_error(tmp_path) -> None:
    with pytest.raises(UserError, match="NEWSBOT_LLM_MODEL"):
        make_chat_model(Settings(data_dir=tmp_path, llm_backend="openai", llm_model=None))


def test_failures_are_explained_in_one_line(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="openai", llm_base_url="http://h:1/v1")
    assert explain_failure(TimeoutError("x"), settings).startswith("LLM timed out after 60 s")
    refused = ConnectionRefusedError("Connection refused")
    assert (
        explain_failure(refused, settings) == "LLM unreachable at http://h:1/v1: Connection refused"
    )
    assert "stopped mid-answer" in explain_failure(refused, settings, mid_answer=True)
    assert explain_failure(ValueError("bad"), settings) == (
        "LLM failed at http://h:1/v1: ValueError: bad"
    )
