"""Idempotent ingestion, updates, forgetting, model mismatch and crash repair of the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.service import NewsService
from retrieval.articles import Article
from retrieval.catalog import Catalog
from retrieval.chunking import chunk_article
from retrieval.embedding_cache import RECENT_QUERIES, CachedEmbeddings, EmbeddingCache
from retrieval.store import CollectionStore, PlannedArticle
from retrieval.vector_index import ModelMismatchError, StoreError
from tests.conftest import make_service
from tests.helpers.store_checks import ARTICLE_V1, ARTICLE_V2, crash_after_vectors
from tests.helpers.store_writer import HashEmbeddings


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reingesting_the_same_article_changes_nothing_and_embeds_nothing(
    service: NewsService, tmp_path: Path, sample_path: Path
) -> None:
    first = service.ingest([str(sample_path)])
    assert [i.status for i in first.items] == ["added"]
    embedded = service.embeddings.embedded_count
    store = service.store()
    before = store.check_consistency()
    second = service.ingest([str(sample_path)])
    assert [i.status for i in second.items] == ["unchanged"]
    assert service.embeddings.embedded_count == embedded
    assert store.check_consistency() == before


def test_an_updated_article_replaces_its_old_chunks(service: NewsService, tmp_path: Path) -> None:
    path = write(tmp_path / "dam.txt", ARTICLE_V1)
    service.ingest([path])
    assert "40 000" in service.ask("How many people were evacuated?").citations[0].quote
    write(tmp_path / "dam.txt", ARTICLE_V2)
    report = service.ingest([path])
    assert [i.status for i in report.items] == ["updated"]
    answer = service.ask("How many people were evacuated?")
    assert "17 000" in answer.citations[0].quote
    assert all("40 000" not in c.quote for c in answer.citations)
    assert len(service.sources()) == 1
    report = service.store().check_consistency()
    assert report.consistent and report.ready_articles == 1
    # Lexical index forgot the old number too.
    assert service.store().catalog.lexical_search("40000", 10) == []


def test_unchanged_text_is_not_embedded_again_after_an_update(
    service: NewsService, tmp_path: Path
) -> None:
    path = write(tmp_path / "dam.txt", ARTICLE_V1)
    service.ingest([path])
    count = service.embeddings.embedded_count
    write(tmp_path / "dam.txt", ARTICLE_V1 + "\nUne enquête est ouverte.")
    service.ingest([path])
    # Only the changed chunk and the new sentence are embedded; the first sentence is cached.
    assert service.embeddings.embedded_count - count <= 2


def test_forget_removes_an_article_completely(
    service: NewsService, tmp_path: Path, sample_path: Path
) -> None:
    dam = write(tmp_path / "dam.txt", ARTICLE_V1)
    service.ingest([str(sample_path), dam])
    store = service.store()
    assert service.forget(str(Path(dam).resolve())) == 1
    assert [s.source for s in service.sources()] == [str(sample_path.resolve())]
    report = store.check_consistency()
    assert report.consistent and report.ready_articles == 1
    assert store.catalog.lexical_search("Kakhovka", 10) == []
    assert service.ask("What happened to the Kakhovka dam?").abstained
    assert service.forget("not-a-source") == 0


def test_jsonl_records_update_by_id(service: NewsService, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": "a1", "title": "Barrage", "text": ARTICLE_V1, "lang": "fr"},
        {"id": "a2", "title": "Autre", "text": "Le Parlement a voté la loi mardi.", "lang": "fr"},
    ]
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    assert [i.status for i in service.ingest([str(feed)]).items] == ["added", "added"]
    records[0]["text"] = ARTICLE_V2
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    assert [i.status for i in service.ingest([str(feed)]).items] == ["updated", "unchanged"]
    assert len(service.sources()) == 2


def test_an_article_over_the_chunk_limit_fails_alone_and_keeps_its_stored_version(
    tmp_path: Path,
) -> None:
    service = make_service(tmp_path / "data", max_chunks_per_article=3)
    dam = write(tmp_path / "dam.txt", ARTICLE_V1)
    assert service.ingest([dam]).items[0].status == "added"
    long_version = "\n".join([ARTICLE_V2, *(f"Paragraphe {n}. " * 80 for n in range(6))])
    write(tmp_path / "dam.txt", long_version)
    other = write(tmp_path / "other.txt", "Le Parlement a voté la loi sur l'eau mardi.")
    report = service.ingest([dam, other])
    assert [i.status for i in report.items] == ["failed", "added"]
    reason = report.items[0].reason
    assert "over the limit of 3" in reason and "NEWSBOT_MAX_CHUNKS_PER_ARTICLE" in reason
    assert report.exit_code == 1
    # The stored version stays whole and answerable; nothing of the long one was written.
    answer = service.ask("How many people were evacuated after the Kakhovka dam failed?")
    assert "40 000" in answer.answer
    assert service.store().check_consistency().consistent
    assert len(service.sources()) == 2
    service.close()


def test_a_store_refuses_vectors_of_another_model(tmp_path: Path, sample_path: Path) -> None:
    pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed")
    data = tmp_path / "data"
    nano = make_service(data)
    nano.ingest([str(sample_path)])
    nano.close()
    minilm = make_service(data, embedder="sentence-transformers")
    with pytest.raises(ModelMismatchError, match="newsbot rebuild --collection news"):
        minilm.ask("How many troops?")
    # Nothing was lost: the original model still answers.
    assert not make_service(data).ask("How many troops?").abstained
    # Rebuilding re-embeds from the stored text, after which the new model answers.
    assert minilm.rebuild() == 1
    assert minilm.sources()[0].source == str(sample_path.resolve())
    assert minilm.store().check_consistency().consistent


def test_invalid_collection_names_are_refused(tmp_path: Path) -> None:
    svc = make_service(tmp_path / "data", collection="../etc")
    with pytest.raises(StoreError, match="invalid collection name"):
        svc.ask("anything?")


def test_a_crash_between_vectors_and_catalog_is_repaired_on_open(
    service: NewsService, tmp_path: Path, sample_path: Path
) -> None:
    service.ingest([str(sample_path)])
    store = service.store()
    article = Article(text=ARTICLE_V1, source="crash.txt", lang="fr")
    chunks = crash_after_vectors(store, article)
    assert not store.check_consistency().consistent
    # Not searchable while pending.
    assert all(c.source != "crash.txt" for c in service.ask("Kakhovka dam?").citations)
    reopened = CollectionStore(
        "news", service.settings.data_dir, service.chroma_client, service.embeddings
    )
    report = reopened.check_consistency()
    assert report.consistent and report.ready_articles == 1
    # Re-running the ingest then stores it properly.
    reopened.write([PlannedArticle(article, chunks, [])])
    assert reopened.check_consistency().ready_articles == 2


def test_lexical_search_returns_only_ready_chunks_even_when_others_rank_best(
    tmp_path: Path,
) -> None:
    from retrieval.catalog import Catalog, SearchFilters

    catalog = Catalog(tmp_path / "catalog.sqlite")
    strong = [
        Article(text=f"Kakhovka Kakhovka Kakhovka barrage {n}.", source=f"s{n}") for n in range(8)
    ]
    weak = Article(
        text="Un long article sur le barrage de Kakhovka et sur bien d'autres choses.", source="w"
    )
    batch = [(a, chunk_article(a)) for a in [*strong, weak]]
    catalog.begin(batch)
    catalog.finish([a.id for a, _ in batch], [])
    # The eight best matches leave the searchable set, as while `forget` deletes them.
    catalog._db.execute(
        f"UPDATE articles SET state = 'deleting' WHERE source IN ({','.join('?' * 8)})",
        [a.source for a in strong],
    )
    catalog._db.commit()

    found = catalog.lexical_search("Kakhovka", 1)
    assert [catalog.ready_chunks([c])[c].source for c, _ in found] == ["w"]
    assert catalog.ready_chunks([c for a, cs in batch for c in (x.id for x in cs)]).keys() == {
        c.id for c in batch[-1][1]
    }
    filtered = catalog.lexical_search("Kakhovka", 5, SearchFilters(source="w"))
    assert [c for c, _ in found] == [c for c, _ in filtered]


def _catalog_of(path: Path, *articles: Article) -> Catalog:
    """A catalog holding `articles`, each made searchable."""
    from retrieval.catalog import Catalog

    catalog = Catalog(path)
    batch = [(a, chunk_article(a)) for a in articles]
    catalog.begin(batch)
    catalog.finish([a.id for a, _ in batch], [])
    return catalog


def _found(catalog: Catalog, query: str) -> list[str]:
    """The sources of the chunks the lexical search finds for `query`, best first."""
    return [catalog.ready_chunks([c])[c].source for c, _ in catalog.lexical_search(query, 5)]


def test_a_hindi_word_finds_the_article_that_holds_it(tmp_path: Path) -> None:
    from retrieval.catalog import lexical_terms

    # Vowel signs are not \\w: the query was cut into single letters and dropped, so a Hindi
    # question found nothing by its words.
    assert lexical_terms("कुर्स्क में कितने सैनिक भेजे गए?")[-3:] == ["सैनिक", "भेजे", "गए"]
    soldiers = Article(text="उत्तर कोरिया ने कुर्स्क में 8000 सैनिक भेजे।", source="soldiers")
    law = Article(text="संसद ने नया कानून पारित किया। सरकार ने बजट पेश किया।", source="law")
    catalog = _catalog_of(tmp_path / "catalog.sqlite", law, soldiers)
    assert _found(catalog, "कितने सैनिक भेजे गए?") == ["soldiers"]


METRO = Article(text="郑州地铁5号线一列列车被困，14名乘客不幸遇难。", source="metro")


def test_a_number_glued_to_chinese_characters_is_found(tmp_path: Path) -> None:
    rain = Article(text="河南省郑州市遭遇极端强降雨，一小时降雨量达到201.9毫米。", source="rain")
    catalog = _catalog_of(tmp_path / "catalog.sqlite", rain, METRO)
    # The tokenizer read each run between punctuation as one word: no number was a term.
    assert _found(catalog, "14") == ["metro"]
    assert _found(catalog, "201.9") == ["rain"]


def test_a_name_in_cyrillic_finds_the_russian_article_that_holds_it(tmp_path: Path) -> None:
    from retrieval.search import strong_terms

    fire = Article(text="В Кемерово при пожаре в торговом центре погибли 60 человек.", source="f")
    flood = Article(text="В Москве из-за ливня затопило метро, погибли 60 человек.", source="flood")
    catalog = _catalog_of(tmp_path / "catalog.sqlite", flood, fire)
    question = "Сколько человек погибло в Кемерово?"
    # Only Latin capitals were names: the search had nothing but the question's numbers.
    assert strong_terms(question, every_script=True) == "Кемерово"
    assert _found(catalog, strong_terms(question, every_script=True)) == ["f"]
    # The answer's features count the names a Latin-script text can be checked for: Polish and
    # Turkish capitals are Latin, a Cyrillic name is not.
    assert strong_terms(question) == ""
    assert strong_terms("Who met in Łódź and İstanbul?") == "Łódź İstanbul"


def test_an_index_written_by_an_older_version_is_upgraded_once_on_open(tmp_path: Path) -> None:
    from retrieval.catalog import LEXICAL_INDEX_VERSION, Catalog

    path = tmp_path / "catalog.sqlite"
    other = Article(text="Le métro de Paris a transporté 14 passagers.", source="paris")
    catalog = _catalog_of(path, METRO, other)
    # As the previous version wrote it: the Chinese text unspaced, no version mark.
    db = catalog._db
    rows = db.execute("SELECT rowid FROM chunks WHERE article_id = ?", (METRO.id,))
    rowids = [r[0] for r in rows]
    db.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({','.join('?' * len(rowids))})", rowids)
    db.executemany(
        "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)", [(r, METRO.text) for r in rowids]
    )
    db.execute("DELETE FROM meta WHERE key = 'lexical_index'")
    db.commit()
    assert _found(catalog, "14") == ["paris"]
    catalog.close()

    reopened = Catalog(path)
    assert set(_found(reopened, "14")) == {"metro", "paris"}
    assert reopened.get_meta("lexical_index") == LEXICAL_INDEX_VERSION
    # Each chunk is indexed once, not once per upgrade.
    assert reopened._db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == 2


def test_a_rebuild_embeds_without_the_lock_so_the_old_store_still_answers_meanwhile(
    tmp_path: Path,
) -> None:
    import threading

    import numpy as np

    from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
    from retrieval.vector_index import open_chroma_client
    from tests.helpers.store_writer import HashEmbeddings, article

    data = tmp_path / "data"
    client = open_chroma_client(data)
    cache = EmbeddingCache(data / "embeddings.sqlite")
    old = CollectionStore("news", data, client, CachedEmbeddings(HashEmbeddings(), cache))
    articles = [article(n) for n in range(40)]
    old.write([PlannedArticle(a, chunk_article(a), []) for a in articles])

    entered, release = threading.Event(), threading.Event()

    class SlowNewModel(HashEmbeddings):
        model_id = "test:hash-64-new"

        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            entered.set()
            release.wait(timeout=120)
            return -super().embed_passages(texts)  # other vectors than the old model's

    rebuilt: list[CollectionStore] = []
    rebuild = threading.Thread(
        target=lambda: rebuilt.append(
            CollectionStore(
                "news", data, client, CachedEmbeddings(SlowNewModel(), cache), rebuild=True
            )
        )
    )
    rebuild.start()
    try:
        assert entered.wait(timeout=60)
        # While the new model embeds, a reader of the old store is not kept waiting.
        found: list[list] = []
        query = HashEmbeddings().embed_queries([articles[7].text])[0]
        reader = threading.Thread(target=lambda: found.append(old.vectors.search(query, 1, None)))
        reader.start()
        reader.join(timeout=30)
        assert not reader.is_alive(), "the rebuild held the store's lock while embedding"
        assert found[0][0][0].startswith(articles[7].id)
    finally:
        release.set()
        rebuild.join(timeout=120)
    store = rebuilt[0]
    assert store.check_consistency().consistent and store.catalog.ready_count() == 40
    new_query = -HashEmbeddings().embed_queries([articles[7].text])[0]
    assert store.vectors.search(np.asarray(new_query), 1, None)[0][0].startswith(articles[7].id)


class CountingEmbeddings(HashEmbeddings):
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.append(list(texts))
        return super().embed_queries(texts)


def test_a_question_is_embedded_once_while_it_is_being_answered(tmp_path: Path) -> None:
    """Search embeds the question and the reader's check by meaning needs it again: the second
    time costs nothing, and a caller changing its vector does not change the remembered one."""
    backend = CountingEmbeddings()
    embeddings = CachedEmbeddings(backend, EmbeddingCache(tmp_path / "embeddings.sqlite"))
    question = "How many troops?"
    first = embeddings.embed_queries([question])
    expected = first.copy()
    first *= 0.0
    again = embeddings.embed_queries([question, "Who sent them?"])
    assert backend.asked == [[question], ["Who sent them?"]]
    assert np.array_equal(again[0], expected[0])
    # Only the last few are remembered: a long session does not grow the process.
    embeddings.embed_queries([f"question {i}" for i in range(RECENT_QUERIES)])
    embeddings.embed_queries([question])
    assert backend.asked[-1] == [question]
