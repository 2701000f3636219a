"""The sample article answers the demo questions with the right quoted sentence, or abstains."""

from __future__ import annotations

import pytest

from bot.answering.answer import REFUSAL
from bot.answering.extractive import PASSAGE_CHARS
from bot.errors import EmptyStoreError, QuestionError
from bot.service import NewsService
from retrieval.catalog import SearchFilters
from tests.conftest import make_service

# Each question with a fragment of the French sentence that answers it.
DEMO = [
    ("How many troops?", "8000"),
    ("Who is North Korea's foreign minister?", "Choe Son Hui"),
    ("How much ground did the Russian army gain in October?", "500 km2"),
]


@pytest.mark.parametrize(("question", "fragment"), DEMO)
def test_demo_questions_cite_the_answering_sentence(
    sample_service: NewsService, sample_text: str, question: str, fragment: str
) -> None:
    answer = sample_service.ask(question)
    assert not answer.abstained
    first = answer.citations[0]
    key = sample_text[slice(*first.key)]
    assert fragment in key
    assert sample_text[first.start : first.end] == first.quote
    assert first.start <= first.key[0] < first.key[1] <= first.end
    assert first.source.endswith("coree-du-nord-russie-koursk.fr.txt")
    # The answer is the answering sentences, short; the passage cited for them is longer
    # context from the same paragraph, never more than PASSAGE_CHARS.
    assert answer.answer.startswith(f"{key} [1]")
    assert len(key) < 400
    assert all(len(c.quote) <= PASSAGE_CHARS for c in answer.citations)


def test_unrelated_question_abstains(sample_service: NewsService) -> None:
    answer = sample_service.ask("Who won the 2022 football World Cup?")
    assert answer.abstained
    assert answer.answer == REFUSAL
    assert answer.citations == []


def test_names_are_found_lexically(sample_service: NewsService) -> None:
    answer = sample_service.ask("What did Choe Son Hui say?")
    assert "Choe Son Hui" in " ".join(c.quote for c in answer.citations)


def test_filters_restrict_the_search(sample_service: NewsService) -> None:
    assert not sample_service.ask("How many troops?", filters=SearchFilters(lang="fr")).abstained
    with_other_lang = sample_service.ask("How many troops?", filters=SearchFilters(lang="de"))
    assert with_other_lang.abstained
    later = sample_service.ask("How many troops?", filters=SearchFilters(date_from="2030-01-01"))
    assert later.abstained


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(sample_service: NewsService, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        sample_service.ask(question)


def test_overlong_question_is_refused(sample_service: NewsService) -> None:
    with pytest.raises(QuestionError, match="limit is 2000"):
        sample_service.ask("why " * 1000)


def test_empty_store_says_how_to_ingest(service: NewsService) -> None:
    with pytest.raises(EmptyStoreError, match="newsbot ingest"):
        service.ask("How many troops?")


def test_follow_up_carries_the_subject(sample_service: NewsService) -> None:
    from bot.answering.followup import Turn

    first = sample_service.ask("How many North Korean soldiers are deployed in Kursk?")
    follow = sample_service.ask("And who said so?", history=[Turn(first.question, first.answer)])
    assert follow.search_query and "Kursk" in follow.search_query
    assert not follow.abstained
    assert any("Blinken" in c.quote for c in follow.citations)


def test_rank_fusion_also_answers_the_demo(tmp_path, sample_path) -> None:
    service = make_service(tmp_path / "data", search_fusion="rrf")
    service.ingest([str(sample_path)])
    for question, fragment in DEMO:
        assert fragment in service.ask(question).citations[0].quote
    assert service.ask("Who won the 2022 football World Cup?").abstained


def test_the_passage_around_the_answer_is_a_setting(sample_service: NewsService) -> None:
    question = "How much ground did the Russian army gain in October?"
    wide = sample_service.ask(question).citations[0]
    narrow_service = make_service(sample_service.settings.data_dir, passage_chars=0)
    try:
        narrow = narrow_service.ask(question).citations[0]
    finally:
        narrow_service.close()
    # Zero: the answering sentences alone; the default adds the rest of their paragraph.
    assert narrow.key == (narrow.start, narrow.end) == wide.key
    assert "500 km2" in narrow.quote and narrow.quote in wide.quote
    assert len(wide.quote) > len(narrow.quote)
