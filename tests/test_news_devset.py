"""The hand-written development sets in eval/: answers verbatim, ids unique, counts as promised."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.news_devset import all_ids, read_article_ids, read_corpora, store_rows
from bot.evaluation import contains_answer, load_contexts, load_questions
from tests.conftest import SAMPLE, SHARED

EVAL = Path(__file__).resolve().parents[1] / "eval"
NEWS = EVAL / "news"
ANSWER_TYPES = {"quantity", "date", "person", "organisation", "place", "other"}


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def answer_problems(questions: list[dict[str, Any]], texts: dict[str, str]) -> list[str]:
    """Every answer must be in its article verbatim and match there as whole words."""
    problems = []
    for row in questions:
        text = texts.get(row["context_id"])
        if text is None:
            problems.append(f"{row['id']}: no article {row['context_id']}")
            continue
        for answer in row["answers"]:
            if answer not in text:
                problems.append(f"{row['id']}: {answer!r} is not in {row['context_id']}")
            elif not contains_answer(text, [answer]):
                problems.append(f"{row['id']}: {answer!r} is not whole words for the scorer")
    return problems


def check_answerable_rows(questions: list[dict[str, Any]]) -> None:
    for row in questions:
        assert row["question"].strip() and row["context_id"], row
        assert 1 <= len(row["answers"]) <= 3, row["id"]
        assert row["answer_type"] in ANSWER_TYPES, row["id"]
        assert row["answers_en"], row["id"]


# --- the sample article (in the repository) --------------------------------------------------
def test_sample_questions_are_answered_verbatim_by_the_sample_article() -> None:
    questions = rows(EVAL / "sample" / "questions.jsonl")
    check_answerable_rows(questions)
    assert {row["context_id"] for row in questions} == {SAMPLE.name}
    text = SAMPLE.read_text(encoding="utf-8")
    assert answer_problems(questions, {SAMPLE.name: text}) == []


def test_sample_questions_in_more_languages_are_answered_verbatim() -> None:
    questions = rows(EVAL / "sample" / "questions.more-languages.jsonl")
    check_answerable_rows(questions)
    assert {row["lang"] for row in questions} == {"it", "pt", "nl"}
    text = SAMPLE.read_text(encoding="utf-8")
    assert answer_problems(questions, {SAMPLE.name: text}) == []
    # The answer as the question's language words it counts as a gold answer too.
    (first, *_) = load_questions(EVAL / "sample" / "questions.more-languages.jsonl")
    assert set(questions[0]["answers_asked"]) <= set(first.answers)


def test_sample_set_counts_languages_and_ids() -> None:
    questions = rows(EVAL / "sample" / "questions.jsonl")
    unanswerable = rows(EVAL / "sample" / "unanswerable.jsonl")
    languages = Counter(row["lang"] for row in questions)
    assert len(questions) >= 14 and languages["fr"] >= 2 and languages["de"] >= 1
    assert len(unanswerable) >= 8
    assert {row["context_id"] for row in unanswerable} == {SAMPLE.name}
    more = rows(EVAL / "sample" / "questions.more-languages.jsonl")
    more += rows(EVAL / "sample" / "unanswerable.more-languages.jsonl")
    ids = [row["id"] for row in questions + unanswerable + more]
    assert len(ids) == len(set(ids))


def test_sample_contexts_file_holds_the_shipped_article_and_loads() -> None:
    (context,) = load_contexts(EVAL / "sample" / "contexts.jsonl")
    assert context.context_id == SAMPLE.name and context.lang == "fr"
    assert context.text == SAMPLE.read_text(encoding="utf-8")
    assert len(load_questions(EVAL / "sample" / "questions.jsonl")) >= 14
    assert len(load_questions(EVAL / "sample" / "unanswerable.jsonl", need_answers=False)) >= 8


# --- the news set (articles in ../shared/corpora) ---------------------------------------------
# --- articles in six more languages (in the repository) ---------------------------------------
def test_world_questions_are_answered_verbatim_by_their_articles() -> None:
    contexts = rows(EVAL / "world" / "contexts.jsonl")
    texts = {row["context_id"]: row["text"] for row in contexts}
    assert {row["lang"] for row in contexts} == {"it", "pt", "nl", "ru", "ar", "zh"}
    english = rows(EVAL / "world" / "questions.en.jsonl")
    own = rows(EVAL / "world" / "questions.own-language.jsonl")
    unanswerable = rows(EVAL / "world" / "unanswerable.jsonl")
    check_answerable_rows(english + own)
    assert answer_problems(english + own, texts) == []
    assert {row["lang"] for row in english} == {"en"} and len(english) >= 30
    # One question in each article's own language, asked of that article.
    languages = {row["context_id"]: row["lang"] for row in contexts}
    assert sorted(languages[row["context_id"]] for row in own) == sorted(languages.values())
    assert all(row["lang"] == languages[row["context_id"]] for row in own)
    assert len(unanswerable) >= 12 and all(row["why"] for row in unanswerable)
    assert {row["context_id"] for row in unanswerable} == set(texts)
    ids = [row["id"] for row in english + own + unanswerable]
    assert len(ids) == len(set(ids))
    assert len(load_contexts(EVAL / "world" / "contexts.jsonl")) == 6


def test_news_set_counts_spread_and_ids() -> None:
    english = rows(NEWS / "questions.en.jsonl")
    other = rows(NEWS / "questions.fr-de.jsonl")
    unanswerable = rows(NEWS / "unanswerable.jsonl")
    check_answerable_rows(english + other)
    assert len(english) >= 64 and len(other) >= 12 and len(unanswerable) >= 30
    assert all(row["why"].strip() for row in unanswerable)
    # Half cross-lingual (French articles), half English; spread over many articles.
    corpora = Counter(row["context_id"].split("-")[0] for row in english)
    assert corpora["orangesum"] >= 30 and corpora["bbc"] >= 30
    assert len({row["context_id"] for row in english}) >= 40
    assert {row["id"].split("-")[1] for row in other} == {"fr", "de"}
    ids = [row["id"] for row in english + other + unanswerable]
    assert len(ids) == len(set(ids))
    assert len(load_questions(NEWS / "questions.en.jsonl")) == len(english)


def test_news_questions_use_only_articles_of_the_store() -> None:
    sections = read_article_ids()
    questioned = set(sections["questioned"])
    used = {
        row["context_id"]
        for name in ("questions.en.jsonl", "questions.fr-de.jsonl", "unanswerable.jsonl")
        for row in rows(NEWS / name)
    }
    assert used == questioned
    store = all_ids(sections)
    assert len(store) == len(set(store))
    assert len(sections["distractors"]) >= 140


@pytest.fixture(scope="module")
def news_texts() -> dict[str, str]:
    corpora = SHARED / "corpora"
    if not corpora.is_dir():
        pytest.skip(f"the news articles come from {corpora}, absent here (not redistributable)")
    ids = all_ids(read_article_ids())
    return {row["context_id"]: row["text"] for row in store_rows(ids, read_corpora(corpora, ids))}


def test_news_answers_are_verbatim_in_their_articles(news_texts: dict[str, str]) -> None:
    questions = rows(NEWS / "questions.en.jsonl") + rows(NEWS / "questions.fr-de.jsonl")
    assert answer_problems(questions, news_texts) == []


def test_news_unanswerable_questions_are_near_articles_of_the_store(
    news_texts: dict[str, str],
) -> None:
    for row in rows(NEWS / "unanswerable.jsonl"):
        assert row["context_id"] in news_texts, row["id"]
