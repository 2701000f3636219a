"""The default answer: the retrieved sentences that answer the question, quoted and cited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer_types import REFUSAL, Answer, Citation
from retrieval.search import Hit


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int
    end: int
    evidence: float

    @property
    def quote(self) -> str:
        return self.hit.chunk.article_text[self.start : self.end]


def rank_sentences(hits: Sequence[Hit], top_chunks: int = 3) -> list[Candidate]:
    """Sentences of the best chunks, scored like chunks: mean of chunk and sentence similarity."""
    candidates = [
        Candidate(hit, s.start, s.end, (hit.chunk_similarity + s.similarity) / 2)
        for hit in hits[:top_chunks]
        for s in hit.sentences
    ]
    return sorted(candidates, key=lambda c: c.evidence, reverse=True)


def citation_for(n: int, candidate: Candidate) -> Citation:
    chunk = candidate.hit.chunk
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title,
        url=chunk.url,
        quote=candidate.quote,
        start=candidate.start,
        end=candidate.end,
        score=round(candidate.evidence, 4),
        article_id=chunk.article_id,
        date=chunk.date,
        lang=chunk.lang,
    )


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    threshold: float,
    max_sentences: int = 2,
    second_margin: float = 0.02,
) -> Answer:
    ranked = rank_sentences(hits)
    if not ranked or ranked[0].evidence < threshold:
        return Answer(question=question, answer=REFUSAL, abstained=True)
    chosen = [ranked[0]]
    floor = max(threshold, ranked[0].evidence - second_margin)
    for candidate in ranked[1:]:
        if len(chosen) >= max_sentences or candidate.evidence < floor:
            break
        if any(c.quote == candidate.quote for c in chosen):
            continue
        chosen.append(candidate)
    citations = [citation_for(n, c) for n, c in enumerate(chosen, start=1)]
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question=question, answer=text, abstained=False, citations=citations)
