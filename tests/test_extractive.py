"""Sentence selection on hand-made hits: close neighbours join the first quote, exactly sliced."""

from __future__ import annotations

from bot.extractive import extractive_answer
from retrieval.catalog import ChunkRecord
from retrieval.search import Hit, SentenceScore

TEXT = (
    "Harvard is organized in eleven units. Its endowment is the largest of all.\n"
    "It amounts to $37.6 billion. The campus is in Cambridge."
)


def spans(text: str) -> list[tuple[int, int]]:
    sentences = [
        "Harvard is organized in eleven units.",
        "Its endowment is the largest of all.",
        "It amounts to $37.6 billion.",
        "The campus is in Cambridge.",
    ]
    return [(text.index(s), text.index(s) + len(s)) for s in sentences]


def hit(similarities: list[float], chunk_similarity: float = 0.8) -> Hit:
    record = ChunkRecord(
        chunk_id="a-00000",
        article_id="a",
        start=0,
        end=len(TEXT),
        article_text=TEXT,
        source="harvard.txt",
        title="Harvard",
        url=None,
        date=None,
        lang="en",
    )
    sentences = [
        SentenceScore(s, e, sim) for (s, e), sim in zip(spans(TEXT), similarities, strict=True)
    ]
    return Hit(record, "news", chunk_similarity, sentences)


def test_a_close_neighbour_in_the_paragraph_joins_the_first_quote() -> None:
    answer = extractive_answer("How large?", [hit([0.85, 0.90, 0.70, 0.60])], 0.5, 1)
    first = answer.citations[0]
    assert (
        first.quote == "Harvard is organized in eleven units. Its endowment is the largest of all."
    )
    assert TEXT[first.start : first.end] == first.quote
    # The score stays the best sentence's: joining never makes weak evidence look strong.
    assert first.score == round((0.8 + 0.90) / 2, 4)


def test_a_far_neighbour_or_a_paragraph_break_keeps_the_sentence_alone() -> None:
    # "It amounts to ..." is close in score but starts the next paragraph.
    answer = extractive_answer("How large?", [hit([0.70, 0.90, 0.89, 0.60])], 0.5, 1)
    assert answer.citations[0].quote == "Its endowment is the largest of all."


def test_the_second_citation_does_not_repeat_the_first_quote() -> None:
    answer = extractive_answer("How large?", [hit([0.10, 0.90, 0.60, 0.89])], 0.5, 2)
    first, second = answer.citations
    assert first.quote == "Its endowment is the largest of all."
    assert second.quote == "The campus is in Cambridge."
    # The first sentence is a neighbour within the margin of the best; it joins, not repeats.
    joined = extractive_answer("How large?", [hit([0.88, 0.90, 0.10, 0.89])], 0.5, 2)
    assert [c.quote for c in joined.citations] == [
        "Harvard is organized in eleven units. Its endowment is the largest of all.",
        "The campus is in Cambridge.",
    ]


def test_below_the_threshold_it_abstains() -> None:
    answer = extractive_answer("How large?", [hit([0.5, 0.5, 0.5, 0.5], 0.5)], 0.6)
    assert answer.abstained and answer.citations == []
