"""A thin LangChain chat model over an in-process llama.cpp model, streaming token by token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from bot.answering.local_model import generation_lock

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LocalChatModel(BaseChatModel):
    """Chat completions from a loaded `llama_cpp.Llama`; greedy, bounded, one at a time.

    llama.cpp keeps the tokens of the previous prompt in its KV cache and reuses their longest
    common prefix, so an unchanged system prompt is evaluated once per process.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    max_tokens: int = 60
    temperature: float = 0.0
    stop: list[str] | None = None

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        parts: list[str] = []
        meta: dict[str, Any] = {}
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            parts.append(chunk.text)
            meta.update(chunk.message.response_metadata)
        message = AIMessage(content="".join(parts), response_metadata=meta)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with generation_lock:
            started = time.perf_counter()
            first_token_at: float | None = None
            tokens = 0
            stream = self.llama.create_chat_completion(
                messages=self._messages(messages),
                stream=True,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature,
                top_k=1,
                stop=stop or self.stop,
            )
            for event in stream:
                choice = event["choices"][0]
                text = choice.get("delta", {}).get("content") or ""
                finish = choice.get("finish_reason")
                if text:
                    tokens += 1
                    if first_token_at is None:
                        first_token_at = time.perf_counter()
                meta: dict[str, Any] = {}
                if finish:
                    now = time.perf_counter()
                    first = first_token_at or now
                    meta = {
                        "finish_reason": finish,
                        "prompt_ms": round((first - started) * 1000, 1),
                        "generate_ms": round((now - first) * 1000, 1),
                        "generated_tokens": tokens,
                        # Tokens in the context now: the prompt and what was generated.
                        "prompt_tokens": max(0, int(self.llama.n_tokens) - tokens),
                    }
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=text, response_metadata=meta)
                )
                if run_manager and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
