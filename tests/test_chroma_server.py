"""The store and the end-to-end path against a real `chroma run` server, and embedded Chroma."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.service import NewsService
from bot.settings import get_settings
from retrieval.articles import Article
from retrieval.catalog_restore import RestoreReport, restore_catalog
from retrieval.store import CollectionStore, PlannedArticle
from retrieval.vector_index import StoreError
from tests.conftest import SAMPLE, make_service
from tests.helpers.store_checks import ARTICLE_V1, ARTICLE_V2, crash_after_vectors
from tests.local_servers import chroma_server, free_port


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every passage these tests embed, embedded once: they test the store, not the model."""
    root = tmp_path_factory.mktemp("warm")
    texts = [write(root / f"dam{n}.txt", text) for n, text in enumerate((ARTICLE_V1, ARTICLE_V2))]
    service = make_service(root / "data")
    service.ingest([str(SAMPLE), *texts])
    service.close()
    return root / "data" / "embeddings.sqlite"


def data_dir_with(cache: Path, data_dir: Path) -> Path:
    """A data directory that starts with a copy of the warm cache (SQLite backup: WAL-safe)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(cache), sqlite3.connect(data_dir / cache.name)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return data_dir


@pytest.fixture(params=["embedded", "server"])
def service(
    request: pytest.FixtureRequest, tmp_path: Path, warm_cache: Path
) -> Iterator[NewsService]:
    overrides: dict[str, object] = {}
    if request.param == "server":
        # One server for the module: each test gets its own collection on it.
        overrides = {
            "chroma_url": request.getfixturevalue("server_url"),
            "collection": f"t-{uuid.uuid4().hex[:12]}",
        }
    svc = make_service(data_dir_with(warm_cache, tmp_path / "data"), **overrides)
    yield svc
    svc.close()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_ingest_ask_reingest(service: NewsService, sample_path: Path) -> None:
    assert [i.status for i in service.ingest([str(sample_path)]).items] == ["added"]
    answer = service.ask("How many troops?")
    assert not answer.abstained
    assert "8000" in answer.citations[0].quote
    store = service.store()
    before = store.check_consistency()
    assert before.consistent and before.ready_articles == 1
    assert before.vector_chunks == before.catalog_chunks > 0
    embedded = service.embeddings.embedded_count
    assert [i.status for i in service.ingest([str(sample_path)]).items] == ["unchanged"]
    assert service.embeddings.embedded_count == embedded
    assert store.check_consistency() == before


def test_update_and_forget(service: NewsService, tmp_path: Path, sample_path: Path) -> None:
    dam = write(tmp_path / "dam.txt", ARTICLE_V1)
    service.ingest([dam, str(sample_path)])
    assert "40 000" in service.ask("How many people were evacuated?").citations[0].quote
    write(tmp_path / "dam.txt", ARTICLE_V2)
    assert [i.status for i in service.ingest([dam]).items] == ["updated"]
    answer = service.ask("How many people were evacuated?")
    assert "17 000" in answer.citations[0].quote
    store = service.store()
    assert store.catalog.lexical_search("40000", 10) == []
    report = store.check_consistency()
    assert report.consistent and report.ready_articles == 2
    assert service.forget(str(Path(dam).resolve())) == 1
    assert service.ask("What happened to the Kakhovka dam?").abstained
    report = store.check_consistency()
    assert report.consistent and report.ready_articles == 1


def test_a_crash_mid_write_is_repaired_on_open(service: NewsService, sample_path: Path) -> None:
    service.ingest([str(sample_path)])
    store = service.store()
    article = Article(text=ARTICLE_V1, source="crash.txt", lang="fr")
    chunks = crash_after_vectors(store, article)
    assert not store.check_consistency().consistent
    reopened = CollectionStore(
        store.name, service.settings.data_dir, service.chroma_client, service.embeddings
    )
    assert reopened.check_consistency().consistent
    reopened.write([PlannedArticle(article, chunks, [])])
    report = reopened.check_consistency()
    assert report.consistent and report.ready_articles == 2


def test_an_unreachable_server_is_named(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    service = make_service(tmp_path / "data", chroma_url=dead)
    with pytest.raises(StoreError, match=f"cannot reach the Chroma server at {dead}"):
        service.ask("How many troops?")
    result = CliRunner().invoke(
        app,
        ["ingest", "samples", "--data-dir", str(tmp_path / "cli")],
        env={"NEWSBOT_CHROMA_URL": dead},
    )
    assert result.exit_code == 2
    assert f"cannot reach the Chroma server at {dead}" in " ".join(result.stderr.split())


def test_a_server_that_stops_mid_ingest_leaves_nothing_recorded_as_done(
    tmp_path: Path, sample_path: Path, warm_cache: Path
) -> None:
    chroma_dir = tmp_path / "chroma"
    dam = write(tmp_path / "dam.txt", ARTICLE_V1)
    data_dir_with(warm_cache, tmp_path / "data")
    with chroma_server(chroma_dir) as url:
        service = make_service(tmp_path / "data", chroma_url=url)
        service.ingest([str(sample_path)])
        store = service.store()
    # The server is gone now; the next article cannot be written.
    report = service.ingest([dam])
    assert [i.status for i in report.items] == ["failed"]
    assert url in report.items[0].reason
    assert [r.source for r in store.catalog.articles()] == [str(sample_path.resolve())]
    service.close()
    # Restarted on the same data, the store is whole and the article can be added.
    with chroma_server(chroma_dir) as url:
        service = make_service(tmp_path / "data", chroma_url=url)
        consistency = service.store().check_consistency()
        assert consistency.consistent and consistency.ready_articles == 1
        assert [i.status for i in service.ingest([dam]).items] == ["added"]
        assert service.store().check_consistency().ready_articles == 2
        service.close()


def test_a_new_data_dir_restores_its_catalog_from_the_server(
    server_url: str, tmp_path: Path, sample_path: Path, warm_cache: Path
) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    dam = write(tmp_path / "dam.txt", ARTICLE_V1)
    first = make_service(
        data_dir_with(warm_cache, tmp_path / "a"), chroma_url=server_url, collection=name
    )
    first.ingest([str(sample_path), dam])
    expected = first.ask("How many troops?").citations[0]
    # Another host: same server and collection, an empty data directory.
    second = make_service(
        data_dir_with(warm_cache, tmp_path / "b"), chroma_url=server_url, collection=name
    )
    assert second.store().is_empty()
    assert restore_catalog(second.store()) == RestoreReport(added=2, removed=0, skipped=0)
    cited = second.ask("How many troops?").citations[0]
    assert (cited.quote, cited.start, cited.end, cited.source, cited.title) == (
        expected.quote,
        expected.start,
        expected.end,
        expected.source,
        expected.title,
    )
    assert second.store().check_consistency().consistent
    assert second.store().catalog.lexical_search("Kakhovka", 5)
    # What the first host forgets, the next restore drops; a second restore changes nothing.
    first.forget(str(Path(dam).resolve()))
    assert restore_catalog(second.store()) == RestoreReport(added=0, removed=1, skipped=0)
    assert second.store().catalog.lexical_search("Kakhovka", 5) == []
    assert second.sync_catalog() == RestoreReport(added=0, removed=0, skipped=0)
    first.close()
    second.close()

    # The command a new host runs: `newsbot sync`, then ask.
    third = str(data_dir_with(warm_cache, tmp_path / "c"))
    runner = CliRunner()
    env = {"NEWSBOT_CHROMA_URL": server_url, "NEWSBOT_COLLECTION": name}
    get_settings.cache_clear()  # each CLI process reads its settings once; so does each run here
    synced = runner.invoke(app, ["sync", "--data-dir", third], env=env)
    assert synced.exit_code == 0, synced.output
    assert f"Synced {name!r}: 1 article(s) added, 0 removed." in " ".join(synced.stdout.split())
    asked = runner.invoke(app, ["ask", "How many troops?", "--data-dir", third], env=env)
    assert asked.exit_code == 0 and "8000" in asked.stdout
    # Without a server there is nothing to sync from: a clear refusal, nothing created.
    get_settings.cache_clear()
    alone = runner.invoke(app, ["sync", "--data-dir", str(tmp_path / "d")], env={})
    assert alone.exit_code == 2 and "NEWSBOT_CHROMA_URL" in alone.stderr
    assert not (tmp_path / "d").exists()
