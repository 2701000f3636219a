"""`newsbot eval`: every metric on hand-made rankings and answers, and one real run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.evaluation import (
    CitedQuote,
    EvalInputError,
    EvalSet,
    PipelineAnswer,
    QAContext,
    QAItem,
    QuestionOutcome,
    collection_name,
    contains_answer,
    gold_rank,
    load_eval_set,
    mean_reciprocal_rank,
    normalize_answer,
    pair_answer_files,
    percentile,
    plan_tasks,
    quote_at_offsets,
    recall_at,
    score_answer,
    store_articles,
    summarize,
    title_folds,
)

# --- a tiny QA set: French articles (two with English twins), English questions --------------
FR_CONTEXTS = [
    {
        "context_id": "c1",
        "title": "Koursk",
        "lang": "fr",
        "text": "Pyongyang a envoyé 8 000 soldats en Russie. "
        "Ils ont été déployés dans la région de Koursk, selon Séoul.",
    },
    {
        "context_id": "c2",
        "title": "Marathon",
        "lang": "fr",
        "text": "Le marathon de Paris a eu lieu le 6 avril. "
        "La gagnante, Sifan Hassan, a couru en 2 heures et 18 minutes.",
    },
    {
        "context_id": "c3",
        "title": "Volcan",
        "lang": "fr",
        "text": "Le volcan Etna, en Sicile, est entré en éruption mardi. "
        "L'aéroport de Catane a été fermé pendant six heures.",
    },
]
EN_CONTEXTS = [
    {
        "context_id": "c1",
        "title": "Kursk",
        "lang": "en",
        "text": "Pyongyang sent 8,000 soldiers to Russia. "
        "They were deployed in the Kursk region, according to Seoul.",
    },
    {
        "context_id": "c2",
        "title": "Marathon",
        "lang": "en",
        "text": "The Paris marathon took place on April 6. "
        "The winner, Sifan Hassan, ran it in 2 hours and 18 minutes.",
    },
]
QUESTIONS = [
    {
        "id": "q1",
        "question": "How many soldiers did North Korea send to Russia?",
        "answers": ["8,000"],
        "context_id": "c1",
    },
    {
        "id": "q2",
        "question": "When did the Paris marathon take place?",
        "answers": ["April 6"],
        "context_id": "c2",
    },
    {
        "id": "q3",
        "question": "Which airport was closed for six hours?",
        "answers": ["Catania"],
        "context_id": "c3",
    },
]
# The same question ids with the gold answers as the French articles write them.
FR_ANSWERS = [
    {"id": "q1", "answers": ["8 000"]},
    {"id": "q2", "answers": ["6 avril"]},
    {"id": "q3", "answers": ["Catane"]},
]
UNANSWERABLE = [{"id": "u1", "question": "Who won the 1998 football World Cup final?"}]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def qa_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "qa"
    folder.mkdir()
    write_jsonl(folder / "fr.contexts.jsonl", FR_CONTEXTS)
    write_jsonl(folder / "en.contexts.jsonl", EN_CONTEXTS)
    write_jsonl(folder / "questions.jsonl", QUESTIONS)
    write_jsonl(folder / "fr.jsonl", FR_ANSWERS)
    write_jsonl(folder / "unanswerable.jsonl", UNANSWERABLE)
    return folder


@pytest.fixture
def eval_set(qa_dir: Path) -> EvalSet:
    return load_eval_set(
        qa_dir / "questions.jsonl",
        [qa_dir / "fr.contexts.jsonl", qa_dir / "en.contexts.jsonl"],
        unanswerable=qa_dir / "unanswerable.jsonl",
    )


# --- answer matching -------------------------------------------------------------------------
def test_normalize_answer_folds_case_digits_punctuation_and_space() -> None:
    assert normalize_answer("  The  U.S.\u00a0Army ") == "the u s army"
    assert normalize_answer("8,000") == normalize_answer("8.000") == normalize_answer("8 000")
    assert normalize_answer("ＡＢＣ") == "abc"


def test_contains_answer_matches_whole_words_only() -> None:
    assert contains_answer("Ils ont envoyé 8 000 soldats.", ["8,000"])
    assert contains_answer("It gave up just 308 points", ["308"])
    assert not contains_answer("It gave up 1308 points", ["308"])
    assert not contains_answer("anything", [""])
    assert contains_answer("Der Flughafen Catania", ["Catane", "Catania"])
    # Chinese writes no spaces: each ideograph is a word, and a number beside one is whole.
    assert contains_answer("这场暴雨共造成郑州市380人死亡或失踪。", ["380"])
    assert contains_answer("14名乘客不幸遇难。", ["14名乘客"])
    assert not contains_answer("造成郑州市1380人死亡", ["380"])


# --- retrieval metrics on hand-made rankings -------------------------------------------------
def test_gold_rank_counts_distinct_articles() -> None:
    ranked = ["a", "a", "b", "c", "b"]
    assert gold_rank(ranked, "a") == 1
    assert gold_rank(ranked, "b") == 2  # the second chunk of "a" does not push "b" down
    assert gold_rank(ranked, "c") == 3
    assert gold_rank(ranked, "z") is None
    # A translation of the gold passage is left out rather than counted as a miss.
    assert gold_rank(ranked, "c", ignore={"b"}) == 2


def test_recall_and_mrr() -> None:
    ranks = [1, 2, 6, None]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert recall_at(ranks, 10) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 2 + 1 / 6) / 4)
    assert recall_at([], 5) is None and mean_reciprocal_rank([]) is None


def test_quote_at_offsets() -> None:
    text = "One. Two three."
    assert quote_at_offsets("Two three.", text, 5, 15)
    assert not quote_at_offsets("Two three.", text, 4, 14)
    assert not quote_at_offsets("One.", None, 0, 4)
    assert not quote_at_offsets("", text, 3, 2)


def test_percentile_interpolates() -> None:
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


# --- scoring answers -------------------------------------------------------------------------
def _cite(source: str, quote: str, text: str) -> CitedQuote:
    start = text.find(quote)
    return CitedQuote(source, quote, start, start + len(quote), text)


def test_score_answer_uses_the_cited_languages_answers(eval_set: EvalSet) -> None:
    fr = FR_CONTEXTS[0]["text"]
    quote = "Pyongyang a envoyé 8 000 soldats en Russie."
    answer = PipelineAnswer(
        ranked_sources=["en.contexts.jsonl#c1", "fr.contexts.jsonl#c3", "fr.contexts.jsonl#c1"],
        answer=f"{quote} [1]",
        abstained=False,
        citations=[
            _cite("fr.contexts.jsonl#c1", quote, fr),
            CitedQuote("fr.contexts.jsonl#c1", "forged", 0, 6, fr),
        ],
        latency_ms=12.34,
        evidence=0.9,
    )
    outcome = score_answer(eval_set.questions[0], "answerable", answer, eval_set)
    # Each contexts file has its own gold passage, ranked without its translation: the
    # French one is second (after fr#c3), the English one first.
    assert outcome.ranks == {"fr.contexts.jsonl": 2, "en.contexts.jsonl": 1}
    assert outcome.answer_in_answer and outcome.answer_in_first_quote
    assert (outcome.citations, outcome.citations_valid) == (2, 1)
    assert outcome.latency_ms == 12.3


def test_target_language_answers_count_only_for_their_file(eval_set: EvalSet) -> None:
    marathon = FR_CONTEXTS[1]["text"]
    quote = "Le marathon de Paris a eu lieu le 6 avril."
    fr_answer = PipelineAnswer(
        ["fr.contexts.jsonl#c2"],
        quote,
        False,
        [_cite("fr.contexts.jsonl#c2", quote, marathon)],
        1.0,
    )
    assert score_answer(
        eval_set.questions[1], "answerable", fr_answer, eval_set
    ).answer_in_first_quote
    # The same French words cited from the English file are not its gold answer ("April 6").
    en_answer = PipelineAnswer(
        ["en.contexts.jsonl#c2"],
        quote,
        False,
        [CitedQuote("en.contexts.jsonl#c2", quote, 0, len(quote), quote)],
        1.0,
    )
    outcome = score_answer(eval_set.questions[1], "answerable", en_answer, eval_set)
    assert not outcome.answer_in_first_quote and not outcome.answer_in_answer
    # Context c3 exists only in French: no English rank is counted for it.
    three = score_answer(eval_set.questions[2], "answerable", en_answer, eval_set)
    assert three.ranks == {"fr.contexts.jsonl": None}


def test_the_marked_sentences_must_hold_the_answer_for_the_key_metric(eval_set: EvalSet) -> None:
    marathon = FR_CONTEXTS[1]["text"]
    winner = "La gagnante, Sifan Hassan, a couru en 2 heures et 18 minutes."
    # The passage holds the date, but the sentence marked as answering is about the winner.
    passage = CitedQuote("fr.contexts.jsonl#c2", marathon, 0, len(marathon), marathon, key=winner)
    answer = PipelineAnswer(["fr.contexts.jsonl#c2"], f"{winner} [1]", False, [passage], 1.0)
    outcome = score_answer(eval_set.questions[1], "answerable", answer, eval_set)
    assert outcome.answer_in_first_quote and not outcome.answer_in_first_key
    assert not outcome.answer_in_answer
    # A pipeline that marks nothing answers with its whole quote, as the baseline does.
    whole = CitedQuote("fr.contexts.jsonl#c2", marathon, 0, len(marathon), marathon)
    unmarked = PipelineAnswer(["fr.contexts.jsonl#c2"], marathon, False, [whole], 1.0)
    assert score_answer(eval_set.questions[1], "answerable", unmarked, eval_set).answer_in_first_key


def test_abstained_answers_score_no_answer(eval_set: EvalSet) -> None:
    refusal = PipelineAnswer(["fr.contexts.jsonl#c1"], "The articles don't say.", True, [], 5.0)
    outcome = score_answer(eval_set.questions[0], "answerable", refusal, eval_set)
    assert outcome.abstained and outcome.answer_in_answer is False
    assert outcome.answer_in_first_quote is False and outcome.ranks["fr.contexts.jsonl"] == 1
    unanswerable = score_answer(eval_set.unanswerable[0], "unanswerable", refusal, eval_set)
    assert unanswerable.ranks == {} and unanswerable.answer_in_answer is None


def _outcome(
    kind: str,
    ranks: dict,
    abstained: bool,
    hit: bool,
    cites: tuple,
    ms: float,
    key_hit: bool | None = None,
):
    return QuestionOutcome(
        id="x",
        kind=kind,  # type: ignore[arg-type]
        question="?",
        ranks=ranks,
        abstained=abstained,
        answer_in_answer=hit if kind == "answerable" else None,
        answer_in_first_quote=hit if kind == "answerable" else None,
        answer_in_first_key=(hit if key_hit is None else key_hit) if kind == "answerable" else None,
        citations=cites[0],
        citations_valid=cites[1],
        first_source=None,
        first_quote=None,
        evidence=None,
        latency_ms=ms,
    )


def test_summarize_by_hand() -> None:
    outcomes = [
        # The answer is in the first passage, not in the sentences marked as answering.
        _outcome("answerable", {"de": 1, "es": 2}, False, True, (2, 2), 10, key_hit=False),
        _outcome("answerable", {"de": 7, "es": None}, False, False, (1, 1), 20),
        _outcome("answerable", {"de": 3, "es": 1}, True, False, (0, 0), 30),
        _outcome("unanswerable", {}, True, False, (0, 0), 40),
        _outcome("unanswerable", {}, False, False, (1, 0), 50),
    ]
    report = summarize(outcomes, ["de", "es"])
    retrieval = report["retrieval"]
    assert retrieval["by_contexts"]["de"] == {
        "recall@1": round(1 / 3, 4),
        "recall@5": round(2 / 3, 4),
        "recall@10": 1.0,
        "mrr": round((1 + 1 / 7 + 1 / 3) / 3, 4),
    }
    assert retrieval["by_contexts"]["es"]["recall@5"] == round(2 / 3, 4)
    assert retrieval["by_contexts"]["es"]["mrr"] == 0.5
    # Pooled over the six (question, file) pairs.
    assert retrieval["recall@1"] == round(2 / 6, 4)
    assert retrieval["recall@10"] == round(5 / 6, 4)
    assert report["answers"] == {
        "answer_in_answer": round(1 / 3, 4),
        "answer_in_first_quote": round(1 / 3, 4),
        "answer_in_first_key": 0.0,
        "citation_offsets_valid": 0.75,
    }
    assert report["abstention"] == {"answerable": round(1 / 3, 4), "unanswerable": 0.5}
    assert report["latency_ms"] == {"p50": 30, "p95": 48}
    assert len(report["questions"]) == 5


# --- inputs and unanswerable folds -----------------------------------------------------------
def test_answer_files_pair_by_language_prefix(qa_dir: Path) -> None:
    contexts = [qa_dir / "fr.contexts.jsonl", qa_dir / "en.contexts.jsonl"]
    # Beside the contexts file, found without being named; none exists for English here.
    assert pair_answer_files(contexts, None) == {"fr.contexts.jsonl": qa_dir / "fr.jsonl"}
    given = write_jsonl(qa_dir.parent / "en.jsonl", [])
    assert pair_answer_files(contexts, [given]) == {"en.contexts.jsonl": given}
    with pytest.raises(EvalInputError, match="matches no contexts file"):
        pair_answer_files(contexts, [qa_dir / "questions.jsonl"])


def test_bad_inputs_say_what_to_do(qa_dir: Path) -> None:
    broken = qa_dir / "broken.jsonl"
    broken.write_text('{"id": "1", "question": "Why?", "answers": ["x"]}\nnot json\n')
    with pytest.raises(EvalInputError, match=r"broken.jsonl:2 is not valid JSON"):
        load_eval_set(broken, [qa_dir / "fr.contexts.jsonl"])
    no_answer = write_jsonl(qa_dir / "no_answer.jsonl", [{"id": "1", "question": "Why?"}])
    with pytest.raises(EvalInputError, match="--unanswerable"):
        load_eval_set(no_answer, [qa_dir / "fr.contexts.jsonl"])
    with pytest.raises(EvalInputError, match="is not a file"):
        load_eval_set(qa_dir / "missing.jsonl", [qa_dir / "fr.contexts.jsonl"])


def test_made_unanswerable_questions_miss_their_title(eval_set: EvalSet) -> None:
    folds = title_folds(eval_set)
    # An id's title comes from the first file holding it ("Koursk", not the English "Kursk");
    # sorted titles are dealt round-robin.
    assert folds == {"Koursk": 0, "Marathon": 1, "Volcan": 2}
    tasks = plan_tasks(eval_set, make_unanswerable=True)
    assert [(t.item.id, t.kind, t.store) for t in tasks] == [
        ("q1", "answerable", "all"),
        ("q2", "answerable", "all"),
        ("q3", "answerable", "all"),
        ("u1", "unanswerable", "all"),
        ("q1", "unanswerable", "0"),
        ("q2", "unanswerable", "1"),
        ("q3", "unanswerable", "2"),
    ]
    # Without its article in either language, under whatever title each file gives it.
    without_kursk = {a.source for a in store_articles(eval_set, "0")}
    assert without_kursk == {
        "fr.contexts.jsonl#c2",
        "fr.contexts.jsonl#c3",
        "en.contexts.jsonl#c2",
    }


def test_collection_name_follows_the_contexts(eval_set: EvalSet) -> None:
    name = collection_name(eval_set, "model", "900/480")
    assert name == collection_name(eval_set, "model", "900/480")
    assert name != collection_name(eval_set, "model", "600/480")
    changed = EvalSet(
        eval_set.questions,
        {"fr.contexts.jsonl": [QAContext("c1", "t", "Autre texte.", "fr")]},
    )
    assert collection_name(changed, "model", "900/480") != name
    assert QAItem("q", "?", (), None).context_id is None


# --- one real run through the command line ---------------------------------------------------
@pytest.mark.slow
def test_eval_command_end_to_end(qa_dir: Path, tmp_path: Path) -> None:
    from bot.cli import app

    args = [
        "eval",
        "--questions",
        str(qa_dir / "questions.jsonl"),
        "--contexts",
        str(qa_dir / "fr.contexts.jsonl"),
        "--unanswerable",
        str(qa_dir / "unanswerable.jsonl"),
        "--make-unanswerable",
        "--baseline",
        "langchain",
        "--json",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "retrieval",
        "answers",
        "abstention",
        "latency_ms",
        "questions",
        "baseline",
    }
    # Three distinct short articles: each question finds its own first and quotes its answer
    # (in French, through fr.jsonl found beside the contexts).
    assert report["retrieval"]["by_contexts"]["fr.contexts.jsonl"] == {
        "recall@1": 1.0,
        "recall@5": 1.0,
        "recall@10": 1.0,
        "mrr": 1.0,
    }
    assert report["answers"] == {
        "answer_in_answer": 1.0,
        "answer_in_first_quote": 1.0,
        "answer_in_first_key": 1.0,
        "citation_offsets_valid": 1.0,
    }
    # Four unanswerable: the World Cup, and each question against the other two articles.
    questions = report["questions"]
    assert [q["kind"] for q in questions].count("unanswerable") == 4
    assert report["abstention"] == {"answerable": 0.0, "unanswerable": 1.0}
    assert report["latency_ms"]["p50"] > 0
    # The tutorial pipeline answers with the whole top chunk and never abstains.
    theirs = report["baseline"]
    assert theirs["retrieval"]["recall@1"] == 1.0
    assert theirs["answers"]["citation_offsets_valid"] == 1.0
    assert theirs["abstention"] == {"answerable": 0.0, "unanswerable": 0.0}
    assert theirs["questions"][0]["first_quote"] == FR_CONTEXTS[0]["text"]

    # A second run reuses the store: nothing new is embedded, the report is the same.
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["answers"] == report["answers"]
    assert again["abstention"] == report["abstention"]


def test_eval_command_reports_user_errors(qa_dir: Path, tmp_path: Path) -> None:
    from bot.cli import app

    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--questions",
            str(qa_dir / "nope.jsonl"),
            "--contexts",
            str(qa_dir / "fr.contexts.jsonl"),
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert result.exit_code == 2
    assert "is not a file" in " ".join(result.output.split())
