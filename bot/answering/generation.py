"""Generated answers: an LLM writes from numbered passages, then every claim is checked."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from langchain_core.prompts import ChatPromptTemplate

from bot.answering.answer import REFUSAL, Answer, Citation
from bot.answering.extractive import Candidate, citation_for
from bot.answering.followup import Turn, needs_context, standalone_question
from bot.answering.llm import explain_failure, make_chat_model
from bot.answering.verification import (
    Passage,
    PassageSentence,
    SentenceCheck,
    Verification,
    is_refusal,
    strip_markers,
    verify,
)
from bot.settings import Settings
from prompts import prompt_messages
from retrieval.search import Hit

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import BaseMessage, BaseMessageChunk

log = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]
FALLBACK_SUFFIX = "; showing quoted sentences instead"
# The extractive answer reads the best three chunks; the model sees the same ones.
MAX_PASSAGES = 3
REWRITE_TURNS = 3
REWRITE_MAX_TOKENS = 80
_FENCE = re.compile(r"</?\s*(passages?|conversation)\s*>", re.IGNORECASE)
_REWRITE_LABEL = re.compile(
    r"^(rewritten|standalone|last)?\s*question\s*:\s*|^(rewritten|standalone)\s*:\s*", re.I
)


def make_generator(settings: Settings) -> AnswerGenerator:
    return AnswerGenerator(
        make_chat_model(settings),
        settings,
        rewrite_model=make_chat_model(settings, max_tokens=REWRITE_MAX_TOKENS),
    )


class AnswerGenerator:
    def __init__(
        self,
        model: BaseChatModel,
        settings: Settings,
        *,
        rewrite_model: BaseChatModel | None = None,
        max_passages: int = MAX_PASSAGES,
    ) -> None:
        self.model = model
        self.rewrite_model = rewrite_model or model
        self.settings = settings
        self.max_passages = max_passages
        self.answer_prompt = ChatPromptTemplate.from_messages(prompt_messages("answer.md"))
        self.rewrite_prompt = ChatPromptTemplate.from_messages(
            prompt_messages("rewrite_followup.md")
        )

    # --- follow-ups ------------------------------------------------------------------------
    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone version of a follow-up; the non-LLM rewrite when the LLM fails."""
        turns = list(history)[-REWRITE_TURNS:]
        conversation = "\n".join(
            f"User: {_as_data(t.question)}\nBot: {_as_data(_brief(t.answer))}" for t in turns
        )
        messages = self.rewrite_prompt.format_messages(
            conversation=conversation, question=_as_data(question)
        )
        try:
            rewritten = _clean_rewrite(self.rewrite_model.invoke(messages).text, question)
        except Exception as error:  # any backend failure: the non-LLM rewrite still works
            log.warning("follow-up rewrite failed: %s", explain_failure(error, self.settings))
            rewritten = None
        if rewritten and not (
            rewritten.casefold() == question.casefold() and needs_context(question)
        ):
            return rewritten
        # No rewrite, or an echo of a question that needs context: carry it without the LLM.
        return standalone_question(question, history)

    # --- answers ---------------------------------------------------------------------------
    def generate(
        self,
        question: str,
        hits: Sequence[Hit],
        fallback: Answer,
        on_token: TokenCallback | None = None,
    ) -> Answer:
        """Stream the model's answer to `on_token`, then keep only what the passages support."""
        if fallback.abstained or not hits:
            # Retrieval found nothing close enough; a model would only guess.
            note = "no passage is close enough to the question, so the LLM was not asked"
            return fallback.model_copy(update={"notes": [*fallback.notes, note]})
        used_hits = list(hits[: self.max_passages])
        passages = [passage_for(n, hit) for n, hit in enumerate(used_hits, start=1)]
        messages = self.answer_prompt.format_messages(
            passages=format_passages(passages), question=_as_data(question), refusal=REFUSAL
        )
        started = time.perf_counter()
        parts: list[str] = []
        try:
            complete = self._stream(messages, on_token, parts)
        except Exception as error:  # down, timed out, garbage: the quoted answer still stands
            reason = explain_failure(error, self.settings, mid_answer=bool(parts))
            return _fall_back(fallback, reason)
        text = "".join(parts)
        llm_ms = (time.perf_counter() - started) * 1000
        if not complete:
            return _fall_back(fallback, "the LLM stream ended before the answer was complete")
        if not text.strip():
            return _fall_back(fallback, "the LLM returned an empty answer")
        started = time.perf_counter()
        verification = verify(text, passages)
        answer = assemble(question, verification, used_hits, fallback)
        answer.timings_ms.update(
            llm=round(llm_ms, 1), verify=round((time.perf_counter() - started) * 1000, 2)
        )
        return answer

    def _stream(
        self, messages: list[BaseMessage], on_token: TokenCallback | None, parts: list[str]
    ) -> bool:
        """Collect the model's text into `parts`; True when the server said it had finished."""
        emit = _SafeEmitter(on_token)
        complete = False
        with closing(timed_stream(self.model, messages, self.settings.llm_timeout_s)) as chunks:
            for chunk, finished in chunks:
                complete = complete or finished
                token = chunk.text
                if token:
                    parts.append(token)
                    emit(token)
        return complete


def timed_stream(
    model: BaseChatModel, messages: list[BaseMessage], timeout_s: float
) -> Iterator[tuple[BaseMessageChunk, bool]]:
    """The model's chunks, each with whether it says the answer is finished.

    Raises TimeoutError when the whole answer takes longer than `timeout_s`: the client's
    timeout bounds each read, this bounds a server that drips. Close it (contextlib.closing)
    so that a caller who stops early also closes the model's stream.
    """
    deadline = time.monotonic() + timeout_s
    stream = model.stream(messages)
    try:
        for chunk in stream:
            info = chunk.response_metadata
            yield (
                chunk,
                bool(info.get("finish_reason") or info.get("done_reason") or info.get("done")),
            )
            if time.monotonic() > deadline:
                raise TimeoutError("the answer took longer than the timeout")
    finally:
        stream.close()


def passage_for(n: int, hit: Hit) -> Passage:
    chunk = hit.chunk
    sentences = [PassageSentence(s.start, s.end, s.similarity) for s in hit.sentences]
    return Passage(n, chunk.article_text, chunk.start, chunk.end, sentences)


def format_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(f"[{p.n}] {_as_data(p.text)}" for p in passages)


def _as_data(text: str) -> str:
    # Text inside the fence must not be able to close it, and stays one paragraph.
    return " ".join(_FENCE.sub(" ", text).split())


def _brief(answer: str, limit: int = 300) -> str:
    text = strip_markers(answer)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_rewrite(reply: str, question: str) -> str | None:
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    if not lines:
        return None
    text = _REWRITE_LABEL.sub("", lines[0]).strip().strip("\"“”«»'").strip()
    text = " ".join(text.split())
    # A rewrite much longer than the question is an answer or a ramble, not a question.
    if not text or len(text) > max(200, 3 * len(question)) or is_refusal(text):
        return None
    return text


def assemble(
    question: str, verification: Verification, hits: Sequence[Hit], fallback: Answer
) -> Answer:
    """The verified answer; quotes come from the store, numbered in the order they are used."""
    notes = [f"removed citation [{n}]: no such passage" for n in verification.unknown_markers]
    if verification.refusal:
        notes.append("the LLM found no answer in the passages")
        return Answer(
            question=question, answer=REFUSAL, abstained=True, mode="generated", notes=notes
        )
    kept, dropped = verification.kept, verification.dropped
    if not kept:
        why = "no sentence of the generated answer is supported by the passages it cites"
        detail = f" ({_describe(dropped)})" if dropped else ""
        return _fall_back(fallback, why + detail, notes)
    if dropped:
        plural = "s" if len(dropped) > 1 else ""
        notes.append(f"dropped {len(dropped)} unsupported sentence{plural}: {_describe(dropped)}")
    numbers: dict[tuple[int, int, int], int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for check in kept:
        refs: list[int] = []
        for passage_n, sentence in check.support:
            key = (passage_n, sentence.start, sentence.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                hit = hits[passage_n - 1]
                evidence = (hit.chunk_similarity + sentence.similarity) / 2
                candidate = Candidate(hit, sentence.start, sentence.end, evidence)
                citations.append(citation_for(numbers[key], candidate))
            if numbers[key] not in refs:
                refs.append(numbers[key])
        sentences.append(_with_markers(check.text, refs))
    return Answer(
        question=question,
        answer=" ".join(sentences),
        abstained=False,
        citations=citations,
        mode="generated",
        notes=notes,
    )


def _with_markers(text: str, refs: Sequence[int]) -> str:
    markers = "".join(f"[{n}]" for n in refs)
    body = text.rstrip()
    end = len(body)
    while end and body[end - 1] in ".!?…":
        end -= 1
    return f"{body[:end]} {markers}{body[end:]}"


def _describe(dropped: Sequence[SentenceCheck]) -> str:
    return "; ".join(f"“{_brief(s.text, 120)}” ({s.problem})" for s in dropped)


def _fall_back(fallback: Answer, reason: str, notes: Sequence[str] = ()) -> Answer:
    return fallback.model_copy(
        update={
            "mode": "extractive-fallback",
            "notes": [*fallback.notes, *notes, reason + FALLBACK_SUFFIX],
        }
    )


class _SafeEmitter:
    """Calls on_token; a failing display must not cost the answer, so it is muted instead."""

    def __init__(self, on_token: TokenCallback | None) -> None:
        self.on_token = on_token

    def __call__(self, token: str) -> None:
        if self.on_token is None:
            return
        try:
            self.on_token(token)
        except Exception:
            log.exception("on_token failed; streaming stops, the answer continues")
            self.on_token = None
