"""The sample article through the command line: the sentence that answers, or a refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("sample-cli") / "data"
    sample = Path(__file__).resolve().parents[1] / "samples" / "coree-du-nord-russie-koursk.fr.txt"
    result = runner.invoke(app, ["ingest", str(sample), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return data


# The sample cases that the shipped decision (fitted on XQuAD, not on this article)
# does not meet yet: strict expected failures, so that meeting one shows up (BENCHMARKS.md).
NOT_YET = pytest.mark.xfail(strict=True, reason="target of issue 11 not reached yet")


def ask(data_dir: Path, question: str) -> dict:
    result = runner.invoke(app, ["ask", question, "--json", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def first_key(payload: dict) -> str:
    citation = payload["citations"][0]
    start = citation["key_start"] - citation["start"]
    return citation["quote"][start : citation["key_end"] - citation["start"]]


def test_a_how_many_question_cites_the_sentence_with_the_number(data_dir: Path) -> None:
    payload = ask(data_dir, "How many soldiers has North Korea sent to Kursk?")
    assert not payload["abstained"]
    # The sentence with the count, not the one that only speaks of "milliers de soldats".
    assert "8000 des 10000 soldats" in first_key(payload)


@pytest.mark.parametrize(
    "question",
    [
        "Quanti soldati nordcoreani sono stati dispiegati a Kursk?",
        "Quantos soldados norte-coreanos foram enviados para Kursk?",
        "Hoeveel Noord-Koreaanse soldaten zijn in Koersk?",
    ],
)
def test_how_many_in_italian_portuguese_and_dutch_is_answered_with_a_number(
    data_dir: Path, question: str
) -> None:
    payload = ask(data_dir, question)
    assert not payload["abstained"]
    assert "8000" in first_key(payload)


@NOT_YET
def test_the_training_question_is_answered_with_the_training_sentence(data_dir: Path) -> None:
    payload = ask(data_dir, "What kind of training did the North Korean troops receive?")
    assert not payload["abstained"]
    assert "Formés à l’artillerie, aux drones" in first_key(payload)


@NOT_YET
def test_a_fact_the_article_does_not_give_is_refused(data_dir: Path) -> None:
    payload = ask(data_dir, "How big is the North Korean army?")
    assert payload["abstained"]
    assert payload["answer"] == "The articles don't say."
    assert payload["citations"] == []


def test_a_refusal_is_said_in_the_askers_language(data_dir: Path) -> None:
    # Nothing in the article is about literature prizes; the question is German.
    payload = ask(data_dir, "Wer hat den Nobelpreis für Literatur 2016 gewonnen?")
    assert payload["abstained"] and payload["citations"] == []
    assert payload["answer"] == "Die Artikel sagen es nicht."


def test_code_is_refused_with_a_note(data_dir: Path) -> None:
    payload = ask(data_dir, "'; DROP TABLE articles; --")
    assert payload["abstained"] and payload["citations"] == []
    assert "code" in payload["notes"][0]


def test_chat_follow_up_answers_the_new_question(data_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["chat", "--data-dir", str(data_dir)],
        input="How many North Korean troops are in Kursk?\nAnd what were they trained for?\nexit\n",
    )
    assert result.exit_code == 0, result.output
    _, _, second = result.output.partition("searched for:")
    # The follow-up's own ask leads the search: its answer opens with the training sentence
    # (the answer panel's text up to its first citation mark, unwrapped).
    answer_text = " ".join(second.split("[1]")[0].replace("│", " ").split())
    assert "Answer" in answer_text and "Formés à l’artillerie" in answer_text


def test_the_chat_s_opening_question_is_answered_with_the_number(data_dir: Path) -> None:
    # Refused from the eighth to the fifteenth session (probability 0.27 against the 0.28
    # level); answered since the second model's opinion is a feature (BENCHMARKS.md).
    payload = ask(data_dir, "How many North Korean troops are in Kursk?")
    assert not payload["abstained"]
    assert "8000" in first_key(payload)
