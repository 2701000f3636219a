"""The reader's evidence: the best sentences, numbered, with neighbours, fenced as data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.extractive import Candidate, rank_sentences
from retrieval.search import Hit

# Prompt evaluation runs at about 80 tokens/s on two cores: ~10 sentences (~300 tokens) keep the
# written answer within seconds. The best-matching sentences come first; each brings the
# sentence before it, which names who "he" or "they" are.
KEY_SENTENCES = 5
MAX_SENTENCES = 10
MAX_CHARS = 1100
# A sentence longer than this (a run-on paragraph without full stops) costs too many tokens.
MAX_SENTENCE_CHARS = 420
_FENCE = re.compile(r"</?\s*(sentences?|articles?|passages?|conversation)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class EvidenceSentence:
    """Sentence `id` as the model sees it: `hit.chunk.article_text[start:end]`."""

    id: int
    hit: Hit
    start: int
    end: int
    similarity: float

    @property
    def text(self) -> str:
        return self.hit.chunk.article_text[self.start : self.end]

    @property
    def article_id(self) -> str:
        return self.hit.chunk.article_id

    def candidate(self) -> Candidate:
        """As an extractive candidate, so that citations are built the same way as today's."""
        evidence = (self.hit.chunk_similarity + self.similarity) / 2
        return Candidate(self.hit, self.start, self.end, evidence)


def as_data(text: str) -> str:
    """Text inside the fence cannot close it, and stays on one line."""
    return " ".join(_FENCE.sub(" ", text).split())


def select_evidence(
    hits: Sequence[Hit],
    key_sentences: int = KEY_SENTENCES,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_CHARS,
) -> list[EvidenceSentence]:
    """The best sentences of the top chunks with their previous neighbour, in reading order."""
    chosen: dict[tuple[str, int], tuple[Hit, int, int, float]] = {}
    used_chars = 0

    def take(hit: Hit, start: int, end: int, similarity: float) -> bool:
        nonlocal used_chars
        key = (hit.chunk.article_id, start)
        if key in chosen:
            return True
        length = end - start
        if length > MAX_SENTENCE_CHARS or used_chars + length > max_chars:
            return False
        if len(chosen) >= max_sentences:
            return False
        chosen[key] = (hit, start, end, similarity)
        used_chars += length
        return True

    ranked = _distinct(rank_sentences(hits))
    for candidate in ranked[:key_sentences]:
        sentences = candidate.hit.sentences
        position = next(i for i, s in enumerate(sentences) if s.start == candidate.start)
        own = sentences[position]
        if not take(candidate.hit, own.start, own.end, own.similarity):
            continue
        if (
            position > 0
            and "\n"
            not in candidate.hit.chunk.article_text[sentences[position - 1].end : own.start]
        ):
            before = sentences[position - 1]
            take(candidate.hit, before.start, before.end, before.similarity)
    # Reading order per article, articles in the order of their best sentence.
    article_rank: dict[str, int] = {}
    for hit, *_ in chosen.values():
        article_rank.setdefault(hit.chunk.article_id, len(article_rank))
    ordered = sorted(chosen.values(), key=lambda c: (article_rank[c[0].chunk.article_id], c[1]))
    return [
        EvidenceSentence(n, hit, start, end, similarity)
        for n, (hit, start, end, similarity) in enumerate(ordered, start=1)
    ]


def _distinct(ranked: list[Candidate]) -> list[Candidate]:
    # Overlapping chunks hold the same sentence twice; the model needs it once.
    seen: set[tuple[str, int]] = set()
    unique = []
    for candidate in ranked:
        key = (candidate.hit.chunk.article_id, candidate.start)
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def format_evidence(sentences: Sequence[EvidenceSentence]) -> str:
    """Numbered sentences under a heading per article: its title and date."""
    lines: list[str] = []
    article: str | None = None
    for sentence in sentences:
        chunk = sentence.hit.chunk
        if chunk.article_id != article:
            article = chunk.article_id
            title = as_data(chunk.title or chunk.source)[:120]
            date = f" ({chunk.date})" if chunk.date else ""
            lines.append(f"Article: {title}{date}")
        lines.append(f"[{sentence.id}] {as_data(sentence.text)}")
    return "\n".join(lines)
