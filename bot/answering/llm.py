"""The configured LangChain chat model, and plain-words explanations of its failures."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

# Long enough for a few cited sentences; a bound keeps a rambling model from holding the reply.
MAX_ANSWER_TOKENS = 200
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://localhost:11434"}


def endpoint(settings: Settings) -> str:
    if settings.llm_backend == "local":
        return "the local model"
    return settings.llm_base_url or DEFAULT_URLS.get(settings.llm_backend, "?")


def make_chat_model(settings: Settings, max_tokens: int = MAX_ANSWER_TOKENS) -> BaseChatModel:
    """The chat model for `settings.llm_backend`; a UserError says what is missing."""
    if settings.llm_backend == "local":
        return make_local_chat_model(settings, max_tokens)
    if not settings.llm_model:
        raise UserError(
            "Set NEWSBOT_LLM_MODEL to the model name the LLM server serves "
            "(for a llama.cpp server any name works)."
        )
    try:
        if settings.llm_backend == "openai":
            from langchain_openai import ChatOpenAI

            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            return ChatOpenAI(
                base_url=settings.llm_base_url,
                # Local OpenAI-compatible servers need no key, but the client insists on one.
                api_key=key or os.environ.get("OPENAI_API_KEY") or "not-needed",
                model=settings.llm_model,
                timeout=settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
                max_tokens=max_tokens,
            )
        if settings.llm_backend == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                temperature=0,
                num_predict=max_tokens,
                client_kwargs={"timeout": settings.llm_timeout_s},
            )
    except ImportError as error:
        raise UserError(
            f"The {settings.llm_backend} backend needs the LLM extra: "
            f"pip install 'newsbot[llm]' ({error.name} is missing)."
        ) from None
    raise UserError(
        f"Unknown NEWSBOT_LLM_BACKEND {settings.llm_backend!r}: use local, openai or ollama."
    )


def local_model_path(settings: Settings) -> Path:
    """NEWSBOT_LLM_MODEL_PATH, or the bundled model joined from its part packages."""
    from bot.answering.local_model import bundled_model_path

    if settings.llm_model_path is not None:
        return settings.llm_model_path.expanduser()
    return bundled_model_path(settings.llm_cache_dir)


def make_local_chat_model(settings: Settings, max_tokens: int) -> BaseChatModel:
    """The in-process llama.cpp model, loaded once per process and shared by every caller."""
    from bot.answering.local_chat import LocalChatModel
    from bot.answering.local_model import ModelConfig, load_model

    config = ModelConfig(local_model_path(settings), settings.llm_context, settings.llm_threads)
    return LocalChatModel(llama=load_model(config), max_tokens=max_tokens)


def explain_failure(error: BaseException, settings: Settings, mid_answer: bool = False) -> str:
    """One line for the user: what went wrong with the LLM, without a traceback or secrets."""
    return _redact(_explain(error, settings, mid_answer), settings)


def _redact(text: str, settings: Settings) -> str:
    # Servers quote the rejected key back in their error messages; notes reach --json and Discord.
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if key:
        text = text.replace(key, "***")
    return _BEARER.sub(r"\1***", text)


def _explain(error: BaseException, settings: Settings, mid_answer: bool) -> str:
    url = endpoint(settings)
    if _is_timeout(error):
        return f"LLM timed out after {settings.llm_timeout_s:g} s at {url}"
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"LLM at {url} answered HTTP {status}: {_short(error)}"
    if "no generation chunks" in str(error).lower():
        # LangChain's word for a 200 reply that held no chat-completion events at all.
        return f"LLM at {url} sent no answer in the chat-completions streaming format"
    if _is_connection(error):
        if mid_answer:
            return f"LLM at {url} stopped mid-answer: {_short(_root(error))}"
        return f"LLM unreachable at {url}: {_short(_root(error))}"
    return f"LLM failed at {url}: {type(error).__name__}: {_short(error)}"


_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"':= ]+)[^\s\"',}]+")


def _root(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def _is_timeout(error: BaseException) -> bool:
    chain = [error, _root(error)]
    return any(
        isinstance(e, TimeoutError)
        or "timeout" in type(e).__name__.lower()
        or "timed out" in str(e).lower()
        for e in chain
    )


def _is_connection(error: BaseException) -> bool:
    names = ("connect", "protocol", "readerror", "remotedisconnected", "networkerror")
    chain = [error, _root(error)]
    return any(
        isinstance(e, ConnectionError) or any(n in type(e).__name__.lower() for n in names)
        for e in chain
    )


def _short(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
