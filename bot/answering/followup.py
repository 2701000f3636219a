"""Turn a follow-up ("How many of them?") into a question that retrieval can answer alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.verification import content_words

_REFERRING = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|"
    r"one|ones|same|also|too|else|more|why|il|elle|ils|elles|eux|leur|leurs|er|sie|es|ihr|"
    r"ellos|ellas|él|ella|eso|esto)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def needs_context(question: str) -> bool:
    words = question.split()
    return len(words) <= 4 or bool(_REFERRING.search(question))


def standalone_question(question: str, history: Sequence[Turn], max_turns: int = 1) -> str:
    """Without an LLM: carry the previous question's subject by prefixing it to retrieval."""
    if not history or not needs_context(question):
        return question
    previous = " ".join(turn.question for turn in history[-max_turns:])
    return f"{previous} {question}"


def asks_something_new(question: str) -> bool:
    """A follow-up with a meaningful word of its own ("what were they trained for?"), not
    only question words and references ("and who said so?")."""
    return bool(content_words(_REFERRING.sub(" ", question)))
