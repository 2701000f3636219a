"""Dates in answers: citations show them, "as of" the latest, conflicting figures side by side."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from bot.answering.answer import AlsoIn, Answer, Citation
from bot.answering.dated_answers import date_answer, figures
from bot.cli import app
from bot.discord_bot.render import FIELD_VALUE_LIMIT, citation_fields, render_answer_messages
from bot.render_cli import render_answer


def _citation(n: int, sentence: str, date: str | None, article: str, **extra: object) -> Citation:
    return Citation(
        n=n,
        source=f"{article}.txt",
        title=f"Article {article}",
        url=f"https://news.example/{article}",
        quote=sentence,
        start=0,
        end=len(sentence),
        score=0.8,
        article_id=article,
        date=date,
        **extra,
    )


def _answer(*citations: Citation) -> Answer:
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question="How many?", answer=text, abstained=False, citations=list(citations))


def test_figures_name_what_they_count_across_languages() -> None:
    found = figures(
        "Up to 8,000 soldiers and 15% of voters; 10 000 soldats, 8.000 Soldaten, 12 per cent "
        "in the 2024 election, on 5 November."
    )
    assert [(f.value, f.unit) for f in found] == [
        (8000, "soldier"),
        (15, "%"),
        (10000, "soldat"),
        (8000, "soldaten"),
        (12, "%"),
    ]
    # A day before a month is a date in any language of the month table, not a count of months.
    dated = figures("Il 5 maggio, 300 soldati; 28 марта; 3 octobre, 40 dossiers.")
    assert [(f.value, f.unit) for f in dated] == [(300, "soldati"), (40, "dossier")]


def test_answers_from_articles_of_different_dates_say_as_of_the_latest() -> None:
    old = _citation(1, "The bridge will reopen in spring.", "2024-10-28", "a")
    new = _citation(2, "Repairs to the bridge are going well.", "2024-11-05", "b")
    dated = date_answer(_answer(old, new))
    assert dated.answer.endswith("As of 2024-11-05 [2].")
    assert dated.answer.startswith(_answer(old, new).answer)
    # One date, no date, an abstention: nothing to add.
    same_day = _citation(2, "Repairs are going well.", "2024-10-28", "b")
    assert date_answer(_answer(old, same_day)).answer == _answer(old, same_day).answer
    undated = _answer(_citation(1, "The bridge will reopen.", None, "a"))
    assert date_answer(undated) == undated
    refusal = Answer(question="q", answer="The articles don't say.", abstained=True)
    assert date_answer(refusal) == refusal


def test_different_figures_for_the_same_thing_are_both_shown_with_their_dates() -> None:
    old = _citation(1, "Officials said 8,000 soldiers were deployed.", "2024-10-28", "a")
    new = _citation(2, "About 10000 soldiers are now at the front.", "2024-11-05", "b")
    lines = date_answer(_answer(old, new)).answer.splitlines()
    assert "As of 2024-11-05 [2]." in lines
    assert (
        "The sources differ on soldier: 10000 soldiers [2] (2024-11-05); "
        "8,000 soldiers [1] (2024-10-28)." in lines
    )
    percent = date_answer(
        _answer(
            _citation(1, "Support for the plan stands at 15%.", "2024-10-01", "a"),
            _citation(2, "Only 12 per cent back the plan.", "2024-10-20", "b"),
        )
    )
    assert "The sources differ on %: 12 per cent [2] (2024-10-20); 15% [1] (2024-10-01)." in (
        percent.answer
    )


def test_agreeing_or_unrelated_figures_are_no_conflict() -> None:
    agree = _answer(
        _citation(1, "Some 8000 soldiers were deployed.", "2024-10-28", "a"),
        _citation(2, "8,000 soldiers are at the front.", "2024-10-28", "b"),
    )
    assert date_answer(agree) == agree
    unrelated = _answer(
        _citation(1, "The 2023 budget funds 40 schools.", "2024-10-28", "a"),
        _citation(2, "The 2024 budget funds 12 hospitals.", "2024-10-28", "b"),
    )
    assert date_answer(unrelated) == unrelated
    # Two figures in one article are its own detail ("8000 of the 10000 soldiers").
    one_article = _answer(
        _citation(1, "Up to 8000 soldiers of 10000 soldiers are deployed.", "2024-10-28", "a")
    )
    assert date_answer(one_article) == one_article


def test_cli_and_discord_show_the_date_and_the_other_copies() -> None:
    copy = AlsoIn(source="wire", title="Wire copy", url="https://wire.example/x", date="2024-11-06")
    citation = _citation(1, "Officials said 8,000 soldiers.", "2024-11-05", "a", also_in=[copy])
    console = Console(record=True, width=200)
    render_answer(console, _answer(citation))
    text = console.export_text()
    assert "https://news.example/a · 2024-11-05 · characters 0-30" in text
    assert "also in: https://wire.example/x (2024-11-06)" in text

    [(_, value)] = citation_fields(citation)
    assert "2024-11-05" in value
    assert "also in: [Wire copy](https://wire.example/x) (2024-11-06)" in value
    many = [AlsoIn(source=f"s{i}", title="T" * 200, url="https://x.example/" + "p" * 900)
            for i in range(40)]  # fmt: skip
    long_citation = _citation(1, "A sentence. " * 200, None, "a", also_in=many)
    for _, value in citation_fields(long_citation):
        assert len(value) <= FIELD_VALUE_LIMIT
    assert "and 37 more" in render_answer_messages(_answer(long_citation))[-1][1].fields[-1].value


def test_an_answer_over_articles_of_two_dates_says_as_of_end_to_end(tmp_path: Path) -> None:
    feed = tmp_path / "troops.jsonl"
    records = [
        {"id": "old", "date": "2024-10-28", "title": "Troops sent",
         "text": "Officials said 8,000 soldiers were deployed to the border region."},
        {"id": "new", "published": "2024-11-05", "title": "More troops sent",
         "text": "Officials said 10,000 soldiers were deployed to the border region."},
    ]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    assert runner.invoke(app, ["ingest", str(feed), *data]).exit_code == 0
    result = runner.invoke(app, ["ask", "--json", "How many soldiers were deployed?", *data])
    answer = json.loads(result.stdout)
    dates = {c["date"] for c in answer["citations"]}
    assert dates == {"2024-10-28", "2024-11-05"}, answer
    assert "As of 2024-11-05" in answer["answer"]
    assert "10,000 soldiers" in answer["answer"] and "(2024-11-05)" in answer["answer"]
    assert "8,000 soldiers" in answer["answer"] and "(2024-10-28)" in answer["answer"]
    assert "The sources differ on soldier" in answer["answer"]
