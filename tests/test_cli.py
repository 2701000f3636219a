"""End to end through the real command line, on a temp data dir with the real embedder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.answering.answer import Answer, Citation
from bot.cli import app
from bot.render_cli import render_answer

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "data"


def invoke(data_dir: Path, *args: str, input: str | None = None):
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=input)


def test_ask_before_ingest_says_how_to_ingest(tmp_path: Path) -> None:
    result = invoke(tmp_path / "empty", "ask", "How many troops?")
    assert result.exit_code == 2
    assert "Nothing is ingested yet" in result.output and "newsbot ingest" in result.output


def test_ingest_reports_each_item_and_exits_1_on_partial_failure(
    data_dir: Path, sample_path: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    bad_jsonl = tmp_path / "feed.jsonl"
    bad_jsonl.write_text(
        '{"id": "1", "title": "Ok", "text": "Le Sénat a adopté le budget jeudi soir."}\n'
        "{not json\n",
        encoding="utf-8",
    )
    result = invoke(
        data_dir,
        "ingest",
        str(sample_path),
        str(tmp_path / "missing.txt"),
        str(empty),
        str(binary),
        str(bad_jsonl),
        "--json",
    )
    assert result.exit_code == 1, result.output
    items = json.loads(result.output)

    def item(suffix: str) -> dict:
        (found,) = [i for i in items if i["source"].endswith(suffix)]
        return found

    assert item("coree-du-nord-russie-koursk.fr.txt")["status"] == "added"
    assert item("feed.jsonl#1")["status"] == "added"
    assert "no such file" in item("missing.txt")["reason"]
    assert "empty" in item("empty.txt")["reason"]
    assert "binary" in item("blob.txt")["reason"]
    assert item("feed.jsonl:2")["status"] == "failed"
    # The failures lost nothing: the sample article answers.
    asked = invoke(data_dir, "ask", "How many troops?", "--json")
    assert asked.exit_code == 0
    assert "8000" in json.loads(asked.output)["citations"][0]["quote"]


def test_ask_json_has_the_documented_fields(data_dir: Path, sample_path: Path) -> None:
    invoke(data_dir, "ingest", str(sample_path))
    result = invoke(data_dir, "ask", "Who is North Korea's foreign minister?", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {"question", "answer", "abstained", "citations", "timings_ms"} <= payload.keys()
    citation = payload["citations"][0]
    documented = {"n", "source", "title", "url", "quote", "start", "end", "key_start", "key_end"}
    assert documented | {"score"} <= citation.keys()
    text = sample_path.read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    # The answering sentences lie inside the quoted passage and open the answer text.
    key = text[citation["key_start"] : citation["key_end"]]
    assert citation["start"] <= citation["key_start"] < citation["key_end"] <= citation["end"]
    assert "Choe Son Hui" in key and payload["answer"].startswith(f"{key} [1]")


def test_ask_renders_answer_and_quoted_sources(data_dir: Path, sample_path: Path) -> None:
    invoke(data_dir, "ingest", str(sample_path))
    result = invoke(data_dir, "ask", "How much ground did the Russian army gain in October?")
    assert result.exit_code == 0
    assert "500 km2" in result.output
    assert "coree-du-nord-russie-koursk" in result.output and "[1]" in result.output


def test_usage_errors_exit_2(data_dir: Path) -> None:
    assert invoke(data_dir, "ask", "").exit_code == 2
    assert invoke(data_dir, "ask", "x" * 5000).exit_code == 2
    assert invoke(data_dir, "ask", "q?", "--mode", "poetry").exit_code == 2
    assert runner.invoke(app, ["ask"]).exit_code == 2


def test_sources_and_forget(data_dir: Path, sample_path: Path, tmp_path: Path) -> None:
    extra = tmp_path / "note.md"
    extra.write_text("# Élection\n\nLe scrutin aura lieu le 12 mai 2025.\n", encoding="utf-8")
    invoke(data_dir, "ingest", str(sample_path), str(extra))
    listed = json.loads(invoke(data_dir, "sources", "--json").output)
    assert {Path(s["source"]).name for s in listed} >= {"note.md", sample_path.name}
    forgot = invoke(data_dir, "forget", str(extra))
    assert forgot.exit_code == 0 and "Forgot 1" in forgot.output
    listed = json.loads(invoke(data_dir, "sources", "--json").output)
    assert "note.md" not in {Path(s["source"]).name for s in listed}
    again = invoke(data_dir, "forget", str(extra))
    assert again.exit_code == 1 and "newsbot sources" in again.output


def test_chat_answers_follow_ups_in_context(data_dir: Path, sample_path: Path) -> None:
    invoke(data_dir, "ingest", str(sample_path))
    result = invoke(
        data_dir,
        "chat",
        input="How many North Korean soldiers are in Kursk?\nWho said so?\nexit\n",
    )
    assert result.exit_code == 0, result.output
    assert "8000" in result.output
    assert "searched for:" in result.output and "Blinken" in result.output


def test_cold_start_ask_in_a_new_process(data_dir: Path, sample_path: Path) -> None:
    """A fresh process answers (its time is measured in bench/bench_core.py, not here)."""
    invoke(data_dir, "ingest", str(sample_path))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "ask",
            "How many troops?",
            "--json",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "8000" in json.loads(done.stdout)["citations"][0]["quote"]
    # The default backend must not drag in torch.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bot.cli, bot.service, retrieval.search;print('torch' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert probe.stdout.strip() == "False"


def _bold_text(line: str) -> str:
    """The characters of a terminal line that are printed bold."""
    bold, kept = False, []
    for code, char in re.findall(r"\x1b\[([\d;]*)m|(.)", line):
        if char:
            kept.append(char if bold else "")
        else:
            bold = "1" in code.split(";")
    return "".join(kept)


def test_the_answering_sentences_are_bold_inside_the_quoted_passage() -> None:
    passage = "Kim a envoyé des troupes. Jusqu’à 8000 soldats [sont] à Koursk. Kiev le confirme."
    key = (10 + passage.index("Jusqu"), 10 + passage.index(" Kiev"))
    citation = Citation(
        n=1,
        source="s.txt",
        title="Koursk",
        url=None,
        quote=passage,
        start=10,
        end=10 + len(passage),
        score=0.8,
        article_id="a",
        key_start=key[0],
        key_end=key[1],
    )
    console = Console(record=True, force_terminal=True, color_system="standard", width=300)
    render_answer(
        console, Answer(question="q", answer="x [1]", abstained=False, citations=[citation])
    )
    [line] = [
        line for line in console.export_text(styles=True, clear=False).splitlines() if "Kim" in line
    ]
    assert _bold_text(line) == "Jusqu’à 8000 soldats [sont] à Koursk."
    assert "Kim a envoyé des troupes. Jusqu’à" in console.export_text()
