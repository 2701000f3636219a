"""The reader's evidence: the best sentences, numbered, with neighbours, fenced as data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.answer import Citation
from bot.answering.extractive import Candidate, rank_sentences
from retrieval.search import Hit, SentenceScore
from retrieval.sentences import sentence_spans

# Prompt evaluation is most of a written answer's time (40 to 80 tokens/s on two cores). Six
# sentences (about 730 characters) instead of nine wrote answers in 7.6 s p50 instead of 10.5 s
# and as many right answers (BENCHMARKS.md, "Fewer sentences for the reader"). The best-matching
# sentences come first, then their neighbours, which name who "he" or "they" are or hold the
# fact a heading announces.
KEY_SENTENCES = 5
MAX_SENTENCES = 6
MAX_CHARS = 730
# A sentence longer than this (a run-on paragraph without full stops) costs too many tokens.
MAX_SENTENCE_CHARS = 420
# How far past a chunk's edge a neighbour is looked for (longer sentences are left out anyway).
NEIGHBOUR_READ = 600
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
    picked: Citation | None = None,
    key_sentences: int = KEY_SENTENCES,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_CHARS,
) -> list[EvidenceSentence]:
    """The best sentences of the top chunks, then their neighbours, in reading order.

    `picked` is the extractive answer's first citation: the sentences it marks as answering
    come first. The decision that chose them reads the question's answer type and its names
    and numbers, which similarity alone does not.

    The sentence that matches the question best often sets the scene (a heading, "According
    to ...") and its neighbour holds the fact, or names who "they" are; neighbours of the best
    sentences join after the key sentences, while the budget lasts.
    """
    chosen: dict[tuple[str, int], tuple[Hit, int, int, float]] = {}
    used_chars = 0

    def take(hit: Hit, sentence: SentenceScore) -> None:
        nonlocal used_chars
        key = (hit.chunk.article_id, sentence.start)
        length = sentence.end - sentence.start
        if key in chosen or length > MAX_SENTENCE_CHARS or len(chosen) >= max_sentences:
            return
        if used_chars + length > max_chars:
            return
        chosen[key] = (hit, sentence.start, sentence.end, sentence.similarity)
        used_chars += length

    positions = _picked_positions(hits, picked) if picked is not None else []
    for candidate in _distinct(rank_sentences(hits))[:key_sentences]:
        sentences = candidate.hit.sentences
        position = next(i for i, s in enumerate(sentences) if s.start == candidate.start)
        positions.append((candidate.hit, position))
    for hit, position in positions:
        take(hit, hit.sentences[position])
    for hit, position in positions:
        # The next sentence first: it more often holds the fact a heading announces.
        for direction in (1, -1):
            neighbour = _neighbour(hit, position, direction)
            if neighbour is not None:
                take(hit, neighbour)
    # Reading order per article, articles in the order of their best sentence.
    article_rank: dict[str, int] = {}
    for hit, *_ in chosen.values():
        article_rank.setdefault(hit.chunk.article_id, len(article_rank))
    ordered = sorted(chosen.values(), key=lambda c: (article_rank[c[0].chunk.article_id], c[1]))
    return [
        EvidenceSentence(n, hit, start, end, similarity)
        for n, (hit, start, end, similarity) in enumerate(ordered, start=1)
    ]


def _picked_positions(hits: Sequence[Hit], picked: Citation) -> list[tuple[Hit, int]]:
    """The hit holding the citation, with the positions of its answering sentences."""
    start, end = picked.key
    for hit in hits:
        if hit.chunk.source == picked.source:
            inside = [i for i, s in enumerate(hit.sentences) if start <= s.start < end]
            if inside:
                return [(hit, i) for i in inside]
    return []


def _neighbour(hit: Hit, position: int, direction: int) -> SentenceScore | None:
    """The sentence before or after one of the hit's, read past the chunk's edge if need be."""
    inside = position + direction
    if 0 <= inside < len(hit.sentences):
        return hit.sentences[inside]
    text = hit.chunk.article_text
    sentence = hit.sentences[position]
    if direction > 0:
        spans = sentence_spans(text, sentence.end, min(len(text), sentence.end + NEIGHBOUR_READ))
        span = spans[0] if spans else None
    else:
        spans = sentence_spans(text, max(0, sentence.start - NEIGHBOUR_READ), sentence.start)
        span = spans[-1] if spans else None
    if span is None or span[1] - span[0] >= MAX_SENTENCE_CHARS:
        return None
    return SentenceScore(span[0], span[1], 0.0)


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
