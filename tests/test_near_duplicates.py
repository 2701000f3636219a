"""Near-duplicate stories: stored once, the other copies listed as "also in", through the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app
from bot.discord_bot.messages import ingest_report, sources_list
from bot.discord_bot.scopes import Scope
from bot.render_cli import render_sources
from bot.service import SourceInfo
from retrieval.catalog import AlsoIn
from retrieval.ingest import IngestItem
from retrieval.near_duplicates import is_same_story, shingles, signature
from tests.conftest import make_service

runner = CliRunner()

STORY = (
    "The regional water authority said on Tuesday that the Fenwick reservoir had fallen to "
    "its lowest level in forty years after a dry summer and an unusually warm autumn.\n\n"
    "Engineers will begin pumping water from the River Tamsin next week, and a hosepipe ban "
    "covering three counties stays in force until the end of March, a spokeswoman added.\n\n"
    "Farmers in the valley say their winter crops are already suffering from the drought."
)
# The same wire story on another site: a header, a "Read more" line, a footer, a word changed,
# the paragraphs in another order.
COPY = (
    "By our correspondents | Updated 10:42\n\n"
    "Engineers will begin pumping water from the River Tamsin next week, and a hosepipe ban "
    "covering three counties stays in force until the end of March, a spokeswoman said.\n\n"
    "The regional water authority said on Tuesday that the Fenwick reservoir had fallen to "
    "its lowest level in forty years after a dry summer and an unusually warm autumn.\n\n"
    "Read more: the best gardens to visit this spring\n\n"
    "Farmers in the valley say their winter crops are already suffering from the drought.\n\n"
    "Share this article. © 2024 The Valley Gazette. All rights reserved."
)
# Another article on the same topic: same names, different text.
SAME_TOPIC = (
    "Anglers on the River Tamsin fear that pumping water to refill the Fenwick reservoir will "
    "leave fish stranded in shallow pools this winter, their association warned on Wednesday.\n\n"
    "The water authority replied that it would monitor river levels every day and stop "
    "pumping if the flow dropped below a safe minimum agreed with environmental groups."
)


def _jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return str(path)


def _cli(data_dir: Path, *args: str):
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)])


def test_copies_with_boilerplate_and_moved_paragraphs_are_the_same_story() -> None:
    assert is_same_story(shingles(STORY), shingles(COPY))
    assert not is_same_story(shingles(STORY), shingles(SAME_TOPIC))
    # A text too short to tell a copy from a shared quote never counts as a copy.
    assert not signature("A short note about the reservoir.").usable
    assert signature(STORY).values == signature(STORY).values  # stable: it is stored


def test_a_copy_is_stored_once_and_shown_as_also_in(tmp_path: Path) -> None:
    data = tmp_path / "data"
    feed = _jsonl(
        tmp_path / "wire.jsonl",
        [
            {"id": "a", "title": "Reservoir at a 40-year low", "text": STORY,
             "url": "https://gazette.example/reservoir", "date": "2024-11-04"},
            {"id": "b", "title": "Fenwick reservoir at lowest level", "text": COPY,
             "url": "https://valley.example/fenwick", "published": "2024-11-05T08:00:00Z"},
            {"id": "c", "title": "Anglers fear for fish", "text": SAME_TOPIC,
             "url": "https://anglers.example/tamsin", "date": "2024-11-06"},
        ],
    )  # fmt: skip
    result = _cli(data, "ingest", "--json", feed)
    assert result.exit_code == 0, result.output
    statuses = {
        item["source"].rsplit("#", 1)[1]: item["status"] for item in json.loads(result.stdout)
    }
    assert statuses == {"a": "added", "b": "duplicate", "c": "added"}

    listed = json.loads(_cli(data, "sources", "--json").stdout)
    by_id = {info["source"].rsplit("#", 1)[1]: info for info in listed}
    assert set(by_id) == {"a", "c"}  # the copy is not stored a second time
    assert by_id["a"]["date"] == "2024-11-04"
    assert [c["url"] for c in by_id["a"]["also_in"]] == ["https://valley.example/fenwick"]
    assert by_id["a"]["also_in"][0]["date"] == "2024-11-05"
    assert by_id["c"]["also_in"] == []
    service = make_service(data)
    try:
        console = Console(record=True, width=300)
        render_sources(console, service.sources(), "news")
    finally:
        service.close()
    table = console.export_text()
    [row] = [line for line in table.splitlines() if "#a " in line]
    assert "2024-11-04" in row and "https://valley.example/fenwick" in row
    assert "also in" in table

    answer = json.loads(_cli(data, "ask", "--json", "How low is the Fenwick reservoir?").stdout)
    cited = [c for c in answer["citations"] if c["source"].endswith("#a")]
    assert cited, answer
    assert cited[0]["date"] == "2024-11-04"
    assert cited[0]["also_in"][0]["url"] == "https://valley.example/fenwick"
    shown = _cli(data, "ask", "How low is the Fenwick reservoir?").stdout
    assert "also in: https://valley.example/fenwick" in shown

    # Ingesting the copy again changes nothing and still names the stored story.
    again = json.loads(_cli(data, "ingest", "--json", feed).stdout)
    assert [i["status"] for i in again] == ["unchanged", "duplicate", "unchanged"]


def test_copies_are_found_by_a_later_process_and_in_stores_older_than_signatures(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    original, copy = tmp_path / "original.txt", tmp_path / "copy.txt"
    original.write_text(STORY, encoding="utf-8")
    copy.write_text(COPY, encoding="utf-8")
    first = make_service(data)
    assert [i.status for i in first.ingest([str(original)]).items] == ["added"]
    first.close()
    # As if stored by a version that kept no signatures: the next ingest computes them.
    with sqlite3.connect(data / "collections" / "news.sqlite") as db:
        db.execute("DELETE FROM signatures")
        db.execute("DELETE FROM signature_buckets")
    second = make_service(data)
    try:
        assert [i.status for i in second.ingest([str(copy)]).items] == ["duplicate"]
        [info] = second.sources()
        assert [c.source for c in info.also_in] == [str(copy.resolve())]
    finally:
        second.close()


def test_updates_replace_and_forget_removes_copies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    original, copy = tmp_path / "original.txt", tmp_path / "copy.txt"
    original.write_text(STORY, encoding="utf-8")
    copy.write_text(COPY, encoding="utf-8")
    service = make_service(data)
    try:
        service.ingest([str(original), str(copy)])
        # The same source with a revised text is its update, never a copy of its old self;
        # the copies of the story stay listed under the new version.
        original.write_text(STORY.replace("forty years", "forty-two years"), encoding="utf-8")
        assert [i.status for i in service.ingest([str(original)]).items] == ["updated"]
        [info] = service.sources()
        assert [c.source for c in info.also_in] == [str(copy.resolve())]
        assert service.store().check_consistency().consistent

        # Forgetting a copy takes it off the list; the stored article stays.
        assert service.forget(str(copy.resolve())) == 1
        [info] = service.sources()
        assert info.also_in == ()
        # Re-ingested, the copy is listed again; forgetting the stored copy removes the story.
        assert [i.status for i in service.ingest([str(copy)]).items] == ["duplicate"]
        assert service.forget(str(original.resolve())) == 1
        assert service.sources() == []
        # Then the copy is an article of its own when it comes again.
        assert [i.status for i in service.ingest([str(copy)]).items] == ["added"]
        [info] = service.sources()
        assert info.source == str(copy.resolve()) and info.also_in == ()
    finally:
        service.close()


def test_discord_lists_the_other_copies_of_a_story() -> None:
    copies = tuple(
        AlsoIn(f"https://site{n}.example/story", "Story", f"https://site{n}.example/story", None)
        for n in range(5)
    )
    info = SourceInfo(
        "orig", "Story", "https://orig.example", "2024-11-04", "en", 2, "news", copies
    )
    [message] = sources_list([info], Scope(1, "news"))
    assert "2024-11-04" in message
    assert "also in: https://site0.example/story, https://site1.example/story" in message
    assert "+2 more" in message
    report = ingest_report(
        [IngestItem("copy", "duplicate", "same story as orig; listed as also in it")]
    )
    assert "same story as orig" in report[0]
