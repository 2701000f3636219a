"""Questions about what is new prefer recent articles; other questions keep the plain ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.catalog import ChunkRecord
from retrieval.recency import RECENCY_PENALTY, asks_for_recent, prefer_recent
from retrieval.search import Hit, SentenceScore
from tests.conftest import make_service


def _hit(article: str, date: str | None, similarity: float) -> Hit:
    text = f"Article {article} says something."
    chunk = ChunkRecord(
        f"{article}-00000", article, 0, len(text), text, article, article, None, date, "en"
    )
    sentences = [SentenceScore(0, len(text), similarity)]
    return Hit(chunk, "news", similarity, sentences, score=2 * similarity)


@pytest.mark.parametrize(
    "question",
    [
        "What is the latest on the strike?",
        "What happened today in Paris?",
        "Any recent news about the dam?",
        "Quoi de neuf aujourd'hui sur la grève ?",
        "Quelles sont les dernières nouvelles ?",
        "Was gibt es heute Neues?",
        "Die neueste Meldung zum Streik?",
        "¿Qué pasó hoy en Madrid?",
        "¿Cuál es la última noticia?",
        "What happened this week?",
    ],
)
def test_recency_words_in_several_languages(question: str) -> None:
    assert asks_for_recent(question)


def test_plain_questions_keep_their_ranking() -> None:
    assert not asks_for_recent("How many troops were deployed near Kursk?")
    hits = [_hit("old", "2024-01-01", 0.82), _hit("new", "2024-03-01", 0.81)]
    assert prefer_recent("How many troops were deployed?", hits) == hits


def test_a_recent_article_wins_among_near_equals_but_not_against_a_much_better_one() -> None:
    hits = [_hit("old", "2024-01-01", 0.82), _hit("new", "2024-03-01", 0.81)]
    ranked = prefer_recent("What is the latest on the troops?", hits)
    assert [h.chunk.article_id for h in ranked] == ["new", "old"]
    assert ranked[0].evidence == pytest.approx(0.81)  # the newest keeps its evidence
    assert ranked[1].evidence == pytest.approx(0.82 - RECENCY_PENALTY)
    much_better = [_hit("old", "2024-01-01", 0.90), _hit("new", "2024-03-01", 0.80)]
    ranked = prefer_recent("What is the latest on the troops?", much_better)
    assert [h.chunk.article_id for h in ranked] == ["old", "new"]
    # Undated articles count as old; one date for all changes nothing.
    undated = [_hit("undated", None, 0.82), _hit("new", "2024-03-01", 0.81)]
    assert prefer_recent("latest?", undated)[0].chunk.article_id == "new"
    same = [_hit("a", "2024-03-01", 0.82), _hit("b", "2024-03-01", 0.81)]
    assert prefer_recent("latest?", same) == same


def test_asking_for_the_latest_never_turns_an_answer_into_a_refusal() -> None:
    hits = [_hit("old", "2024-01-01", 0.80), _hit("new", "2024-03-01", 0.60)]
    ranked = prefer_recent("What is the latest?", hits, floor=0.79)
    old = next(h for h in ranked if h.chunk.article_id == "old")
    assert old.evidence == pytest.approx(0.79)


def test_the_latest_question_cites_the_newer_article_first(tmp_path: Path) -> None:
    feed = tmp_path / "strike.jsonl"
    records = [
        {"id": "monday", "date": "2024-03-04", "title": "Strike talks",
         "text": "Rail unions and the operator met for talks about the strike on Monday."},
        {"id": "friday", "date": "2024-03-08", "title": "Strike talks resume",
         "text": "Rail unions and the operator met again for talks about the strike on Friday."},
    ]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    service = make_service(tmp_path / "data")
    try:
        service.ingest([str(feed)])
        answer = service.ask("What is the latest on the rail strike talks?")
        assert not answer.abstained
        assert answer.citations[0].source.endswith("#friday"), answer
    finally:
        service.close()
