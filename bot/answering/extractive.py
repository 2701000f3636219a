"""The default answer: the sentences that answer the question, each citing the passage around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.answer import REFUSAL, Answer, Citation
from bot.answering.decision import Decider, ThresholdDecider
from bot.answering.features import TextReadings, question_features
from bot.answering.languages import AskerLanguage, asker_language
from bot.answering.question_checks import meaningless_reason
from retrieval.search import Hit, SentenceScore
from retrieval.sentences import Span, sentence_spans

# Measured on the development set (BENCHMARKS.md): joining neighbours within 0.05 of the best
# sentence's similarity puts the gold answer in the answering sentences 79% of the time instead
# of 72%, for 300 characters on average instead of 200.
NEIGHBOUR_MARGIN = 0.05
# A cited passage is the answering sentences with their context, up to the size of the chunks
# that the LangChain tutorial quotes (1,000 characters). Centred on the sentences that answer,
# it holds the gold answer more often than a chunk cut at fixed places (BENCHMARKS.md) and
# shows the reader who "he" or "it" is.
PASSAGE_CHARS = 1000


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


def with_close_neighbours(candidate: Candidate, margin: float, said: str = "") -> Candidate:
    """The sentence joined by each neighbour that matches the question almost as well.

    The sentence that matches the question best often sets the scene and the next one holds
    the fact ("The endowment ... is the largest. It amounts to $37.6 billion."), so a
    neighbour within `margin` is quoted with it: one contiguous slice of the article, still
    exact at its offsets. A neighbour that `said` (the conversation's earlier answers) already
    holds is not repeated: a follow-up's answer opens with what is new.
    """
    sentences = candidate.hit.sentences
    position = next((i for i, s in enumerate(sentences) if s.start == candidate.start), None)
    if position is None:
        return candidate
    floor = sentences[position].similarity - margin
    text = candidate.hit.chunk.article_text
    start, end = candidate.start, candidate.end

    def joins(neighbour: SentenceScore, gap: str) -> bool:
        # A paragraph break ends the statement: a heading is not quoted with the text below.
        if neighbour.similarity < floor or "\n" in gap:
            return False
        return not said or text[neighbour.start : neighbour.end] not in said

    if position > 0:
        before = sentences[position - 1]
        if joins(before, text[before.end : start]):
            start = before.start
    if position + 1 < len(sentences):
        after = sentences[position + 1]
        if joins(after, text[end : after.start]):
            end = after.end
    return Candidate(candidate.hit, start, end, candidate.evidence)


def _sentences_within_reach(text: str, start: int, end: int, limit: int) -> list[Span]:
    """Whole sentences of the paragraph holding start..end that lie within `limit` of it.

    Only that stretch is split, so an article of one long line costs no more than a short one.
    """
    paragraph_start = text.rfind("\n", 0, start) + 1
    paragraph_end = text.find("\n", end)
    paragraph_end = len(text) if paragraph_end == -1 else paragraph_end
    reach_start = max(paragraph_start, end - limit)
    reach_end = min(paragraph_end, start + limit)
    if reach_start > start or reach_end < end:  # the candidate alone is longer than `limit`
        reach_start, reach_end = start, end
    spans = sentence_spans(text, reach_start, reach_end)
    # A sentence cut by the edge of the reach is not whole, and could not fit anyway.
    if spans and reach_start > paragraph_start and spans[0][0] != start:
        spans = spans[1:]
    if spans and reach_end < paragraph_end and spans[-1][1] != end:
        spans = spans[:-1]
    return spans


def passage_around(
    candidate: Candidate, limit: int = PASSAGE_CHARS, taken: Sequence[Span] = ()
) -> Span:
    """The candidate's sentences grown one sentence at a time inside their paragraph.

    The neighbour that matches the question better joins first (a sentence outside the chunk
    has no score and joins last); growth stops when no neighbour fits within `limit`
    characters or the next one lies in a span already `taken` by another passage.
    """
    text = candidate.hit.chunk.article_text
    spans = _sentences_within_reach(text, candidate.start, candidate.end, limit)
    first = next((i for i, s in enumerate(spans) if s[0] == candidate.start), None)
    last = next((i for i, s in enumerate(spans) if s[1] == candidate.end), None)
    if first is None or last is None:
        return candidate.start, candidate.end
    similarity = {s.start: s.similarity for s in candidate.hit.sentences}

    def free(span: Span) -> bool:
        return not any(span[0] < end and start < span[1] for start, end in taken)

    key_start, key_end = candidate.start, candidate.end
    while True:
        # (similarity, characters already added on that side, side): on equal similarity,
        # as for sentences outside the chunk, the shorter side grows, keeping the key central.
        options: list[tuple[float, int, int]] = []
        if first > 0 and free(spans[first - 1]) and spans[last][1] - spans[first - 1][0] <= limit:
            before = similarity.get(spans[first - 1][0], -1.0)
            options.append((before, spans[first][0] - key_start, -1))
        if (
            last + 1 < len(spans)
            and free(spans[last + 1])
            and spans[last + 1][1] - spans[first][0] <= limit
        ):
            after = similarity.get(spans[last + 1][0], -1.0)
            options.append((after, key_end - spans[last][1], 1))
        if not options:
            return spans[first][0], spans[last][1]
        if max(options)[2] < 0:
            first -= 1
        else:
            last += 1


def citation_for(n: int, candidate: Candidate, passage: Span | None = None) -> Citation:
    """Citation `n` quoting `passage` (default: the candidate's own sentences) around it."""
    chunk = candidate.hit.chunk
    start, end = passage or (candidate.start, candidate.end)
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title,
        url=chunk.url,
        quote=chunk.article_text[start:end],
        start=start,
        end=end,
        score=round(candidate.evidence, 4),
        article_id=chunk.article_id,
        date=chunk.date,
        lang=chunk.lang,
        key_start=candidate.start,
        key_end=candidate.end,
    )


def _overlaps(a: Candidate, b: Candidate) -> bool:
    same_article = a.hit.chunk.article_id == b.hit.chunk.article_id
    return (same_article and a.start < b.end and b.start < a.end) or a.quote == b.quote


def refusal(question: str, confidence: float | None, notes: list[str] | None = None) -> Answer:
    """The refusal ("The articles don't say"), with the decision's probability and why."""
    return Answer(
        question=question,
        answer=REFUSAL,
        abstained=True,
        confidence=None if confidence is None else round(confidence, 4),
        notes=notes or [],
    )


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    decider: Decider | float,
    max_sentences: int = 2,
    second_margin: float = 0.02,
    neighbour_margin: float = NEIGHBOUR_MARGIN,
    passage_chars: int = PASSAGE_CHARS,
    *,
    level: float | None = None,
    evidence_floor: float | None = None,
    search_query: str | None = None,
    said: str = "",
    judged_hits: Sequence[Hit] | None = None,
    asked: AskerLanguage | None = None,
    readings: TextReadings | None = None,
) -> Answer:
    """The best sentences as the answer, each citing the passage around it; or a refusal.

    `decider` ranks the sentences and decides whether the best one answers (a number is the
    evidence threshold of the fallback rule); `level` overrides its operating point and
    `evidence_floor` refuses below that evidence whatever the decider says. A follow-up's
    `search_query` supplies the names and numbers the sentences are checked for, and `said`
    (its earlier answers) the neighbours not to quote again. `judged_hits`, when given, are
    what decides whether to answer (a follow-up's joined search, before its own ask re-scored
    the sentences of `hits`): whether the articles answer is asked of the question with its
    subject, while the follow-up's own words pick the sentence. `asked` is the asker's language
    when the caller already guessed it; `readings`, the question's terms already read in these
    texts by another answer to it (made from `search_query`, or the question without one).
    A second sentence that already lies in the first passage cites that passage again; its
    own passage never repeats text of the first.
    """
    if isinstance(decider, int | float):
        decider = ThresholdDecider(float(decider))
    reason = meaningless_reason(question)
    if reason is not None:
        return refusal(question, None, [reason])
    asked = asked or asker_language(question)
    readings = readings or TextReadings.of(search_query or question)
    features = question_features(question, hits, search_query, asked, readings)
    decision = decider.decide(features, level)
    judged = decision
    if judged_hits is not None:
        judged = decider.decide(
            question_features(question, judged_hits, search_query, asked, readings), level
        )
    if (
        not judged.answer
        or not decision.ranked
        or (evidence_floor is not None and judged.ranked[0].candidate.evidence < evidence_floor)
    ):
        return refusal(question, judged.confidence if judged.ranked else None)
    ranked = [
        (
            r,
            Candidate(
                r.candidate.hit,
                r.candidate.sentence.start,
                r.candidate.sentence.end,
                r.candidate.evidence,
            ),
        )
        for r in decision.ranked
    ]
    first_score = ranked[0][0].score
    keys = [with_close_neighbours(ranked[0][1], neighbour_margin, said)]
    # A second sentence joins when it ranks almost as well as the first: within
    # `second_margin` of evidence for the threshold rule, within the fitted ranker's own
    # margin for the calibrated one.
    floor = decider.second_floor(first_score, second_margin, level)
    for scored, candidate in ranked[1:]:
        if len(keys) >= max_sentences or scored.score < floor:
            break
        if any(_overlaps(c, candidate) for c in keys):
            continue
        keys.append(candidate)
    citations: list[Citation] = []
    parts: list[str] = []
    for key in keys:
        article = key.hit.chunk.article_id
        cited = next(
            (
                c
                for c in citations
                if c.article_id == article and c.start <= key.start and key.end <= c.end
            ),
            None,
        )
        if cited is None:
            taken = [(c.start, c.end) for c in citations if c.article_id == article]
            cited = citation_for(len(citations) + 1, key, passage_around(key, passage_chars, taken))
            citations.append(cited)
        parts.append(f"{key.quote} [{cited.n}]")
    return Answer(
        question=question,
        answer=" ".join(parts),
        abstained=False,
        citations=citations,
        confidence=round(judged.confidence, 4),
    )
