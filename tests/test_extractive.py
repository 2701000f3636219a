"""Sentence selection on hand-made hits: close neighbours join the first quote, exactly sliced."""

from __future__ import annotations

from bot.answering.extractive import extractive_answer
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


def test_a_close_neighbour_in_the_paragraph_joins_the_answering_sentences() -> None:
    answer = extractive_answer("How large?", [hit([0.85, 0.90, 0.70, 0.60])], 0.5, 1)
    first = answer.citations[0]
    key = "Harvard is organized in eleven units. Its endowment is the largest of all."
    assert answer.answer == f"{key} [1]"
    assert TEXT[first.key_start : first.key_end] == key
    assert TEXT[first.start : first.end] == first.quote
    # The score stays the best sentence's: joining never makes weak evidence look strong.
    assert first.score == round((0.8 + 0.90) / 2, 4)


def test_a_passage_stays_in_its_paragraph() -> None:
    # "It amounts to ..." is close in score but starts the next paragraph: it neither joins the
    # answering sentence nor the passage around it. (The question asks for no answer type, so
    # the amount's number does not put it first; see the test below.)
    answer = extractive_answer(
        "Which endowment is the largest?", [hit([0.70, 0.90, 0.89, 0.60])], 0.5, 1
    )
    first = answer.citations[0]
    assert answer.answer == "Its endowment is the largest of all. [1]"
    assert (
        first.quote == "Harvard is organized in eleven units. Its endowment is the largest of all."
    )
    assert first.key == (TEXT.index("Its endowment"), TEXT.index("\n"))


def test_a_near_tie_offering_the_asked_type_is_quoted_first() -> None:
    # "How large?" asks for a quantity: the sentence with the amount, within a near-tie of the
    # best match, is quoted instead of the one that only repeats the question's idea.
    answer = extractive_answer("How large?", [hit([0.70, 0.90, 0.89, 0.60])], 0.5, 1)
    assert answer.answer == "It amounts to $37.6 billion. [1]"
    # Further behind than a near-tie, the best match stays first.
    answer = extractive_answer("How large?", [hit([0.70, 0.90, 0.85, 0.60])], 0.5, 1)
    assert answer.answer == "Its endowment is the largest of all. [1]"


LONG = "Alpha one is here. Bravo two is here. Charlie three is here. Delta four is here. Echo."


def long_hit(similarities: list[float]) -> Hit:
    record = ChunkRecord("l-00000", "l", 0, len(LONG), LONG, "l.txt", "L", None, None, "en")
    ends = [i + 1 for i, ch in enumerate(LONG) if ch == "."]
    starts = [0] + [e + 1 for e in ends[:-1]]
    sentences = [
        SentenceScore(s, e, sim) for s, e, sim in zip(starts, ends, similarities, strict=True)
    ]
    return Hit(record, "news", 0.8, sentences)


def test_a_passage_grows_towards_the_better_neighbour_within_its_limit() -> None:
    sims = [0.2, 0.5, 0.9, 0.7, 0.1]
    # Room for one more sentence: the next one, which matches the question better, joins.
    answer = extractive_answer("Which?", [long_hit(sims)], 0.5, 1, passage_chars=45)
    assert answer.citations[0].quote == "Charlie three is here. Delta four is here."
    assert answer.answer == "Charlie three is here. [1]"
    # Room for everything: the whole paragraph, the answering sentence still marked inside.
    whole = extractive_answer("Which?", [long_hit(sims)], 0.5, 1, passage_chars=1000)
    assert whole.citations[0].quote == LONG
    assert LONG[slice(*whole.citations[0].key)] == "Charlie three is here."
    for limit in range(10, 100, 7):
        cited = extractive_answer("Which?", [long_hit(sims)], 0.5, 1, passage_chars=limit)
        citation = cited.citations[0]
        key = LONG[slice(*citation.key)]
        assert key == "Charlie three is here." and key in citation.quote
        # Never longer than the limit, unless the answering sentence alone is.
        assert len(citation.quote) <= max(limit, len(key))
        assert LONG[citation.start : citation.end] == citation.quote


def test_a_second_sentence_in_the_first_passage_cites_it_again() -> None:
    answer = extractive_answer("How large?", [hit([0.10, 0.90, 0.60, 0.89])], 0.5, 2)
    first, second = answer.citations
    assert answer.answer == (
        "Its endowment is the largest of all. [1] The campus is in Cambridge. [2]"
    )
    assert (
        first.quote == "Harvard is organized in eleven units. Its endowment is the largest of all."
    )
    assert second.quote == "It amounts to $37.6 billion. The campus is in Cambridge."
    sims = [0.2, 0.5, 0.9, 0.1, 0.89]
    inside = extractive_answer("Which?", [long_hit(sims)], 0.5, 2, passage_chars=1000)
    assert len(inside.citations) == 1
    assert inside.answer == "Charlie three is here. [1] Echo. [1]"


def test_a_second_passage_never_repeats_the_first() -> None:
    sims = [0.2, 0.5, 0.9, 0.1, 0.89]
    answer = extractive_answer("Which?", [long_hit(sims)], 0.5, 2, passage_chars=45)
    first, second = answer.citations
    assert first.quote == "Bravo two is here. Charlie three is here."
    assert second.quote == "Delta four is here. Echo."
    assert first.end <= second.start


def test_below_the_threshold_it_abstains() -> None:
    answer = extractive_answer("How large?", [hit([0.5, 0.5, 0.5, 0.5], 0.5)], 0.6)
    assert answer.abstained and answer.citations == []


def test_a_passage_limit_of_zero_quotes_the_answering_sentences_alone() -> None:
    answer = extractive_answer(
        "Which?", [long_hit([0.2, 0.5, 0.9, 0.7, 0.1])], 0.5, 1, passage_chars=0
    )
    citation = answer.citations[0]
    assert citation.quote == "Charlie three is here."
    assert citation.key == (citation.start, citation.end)


def test_a_passage_in_a_very_long_line_is_whole_sentences_around_the_answer() -> None:
    filler = "Filler sentence number {} is here."
    before = " ".join(filler.format(i) for i in range(5000))
    text = f"{before} The answer is 42. {before}"
    start = text.index("The answer")
    end = start + len("The answer is 42.")
    record = ChunkRecord(
        "x-00001", "x", start - 100, end + 100, text, "x.txt", "X", None, None, "en"
    )
    key = SentenceScore(start, end, 0.9)
    answer = extractive_answer(
        "What?", [Hit(record, "news", 0.8, [key])], 0.5, 1, passage_chars=300
    )
    citation = answer.citations[0]
    assert text[slice(*citation.key)] == "The answer is 42."
    assert len(citation.quote) <= 300 and citation.quote.startswith("Filler sentence")
    assert citation.quote.endswith("is here.") and "The answer is 42." in citation.quote
    # Neither side scores, so both grow in turn: three or more sentences on each side.
    left, right = citation.key[0] - citation.start, citation.end - citation.key[1]
    assert left > 100 and right > 100
    assert text[citation.start : citation.end] == citation.quote
