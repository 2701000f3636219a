"""The ingest progress bar's total: items counted up front from files, directories and URLs."""

from __future__ import annotations

from pathlib import Path

from retrieval.input_count import count_items
from retrieval.loading import iter_articles


def test_the_count_matches_the_outcomes_that_loading_reports(tmp_path: Path) -> None:
    feed = tmp_path / "news" / "wire.jsonl"
    feed.parent.mkdir()
    rows = [f'{{"id": "{n}", "title": "T{n}", "text": "Texte {n}."}}' for n in range(5)]
    # Blank lines carry no record; a record split over the read block still counts once.
    feed.write_text("\n".join(rows[:2]) + "\n\n   \n" + "\n".join(rows[2:]), encoding="utf-8")
    (tmp_path / "news" / "a.txt").write_text("Un article.", encoding="utf-8")
    (tmp_path / "news" / ".hidden.txt").write_text("Caché.", encoding="utf-8")
    (tmp_path / "news" / "notes.pdf").write_bytes(b"%PDF")
    inputs = [str(tmp_path / "news"), str(tmp_path / "missing.txt"), "https://example.com/a"]
    assert count_items(inputs[:2]) == len(list(iter_articles(inputs[:2]))) == 7
    assert count_items(inputs) == 8


def test_a_long_jsonl_file_is_counted_across_read_blocks(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = '{"id": "x", "text": "' + "mot " * 100_000 + '"}'
    path.write_text("\n".join([line] * 5) + "\n", encoding="utf-8")
    assert count_items([str(path)]) == 5
