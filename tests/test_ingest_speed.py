"""Bulk ingestion: texts embedded once, loading overlapped with embedding, memory bounded."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import retrieval.ingest as ingest_module
from retrieval.articles import Article
from retrieval.embedders import ArrayEmbeddings
from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
from retrieval.ingest import ingest_articles, iter_ingest
from retrieval.loading import LoadFailure
from retrieval.store import CollectionStore
from retrieval.vector_index import open_chroma_client

WIRE = "L'agence rapporte que le sommet s'est tenu à Genève. Les délégations ont signé un accord."


class HashEmbeddings(ArrayEmbeddings):
    """Deterministic vectors from a text hash; records what it was asked to embed."""

    model_id = "test:hash"
    dim = 16

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.batches: list[list[str]] = []
        self.active = threading.Event()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.active.set()
        time.sleep(self.delay_s)
        self.active.clear()
        rows = [
            np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8) for t in texts
        ]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim) + 1.0
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator:
    opened: list[CollectionStore] = []

    def make(backend: HashEmbeddings) -> CollectionStore:
        data = tmp_path / "data"
        cache = EmbeddingCache(data / "embeddings.sqlite")
        store = CollectionStore(
            "news", data, open_chroma_client(data), CachedEmbeddings(backend, cache)
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def article(n: int, text: str | None = None, source: str | None = None) -> Article:
    body = text or f"Dépêche numéro {n}. La réunion {n} a eu lieu mardi à Paris."
    return Article(text=body, source=source or f"wire-{n}", title=f"Dépêche {n}", lang="fr")


def embedded_texts(backend: HashEmbeddings) -> list[str]:
    return [t for batch in backend.batches for t in batch]


def test_the_same_text_in_many_articles_is_embedded_once(make_store) -> None:
    backend = HashEmbeddings()
    store = make_store(backend)
    # One wire story carried by five sources, in one batch, then again in a later batch.
    first = [article(i, WIRE, source=f"paper-{i}") for i in range(5)]
    items = ingest_articles(first, store, batch_chunks=100)
    assert [i.status for i in items] == ["added"] * 5
    # Ingest embeds the chunk text alone; its two sentences wait until a search needs them.
    assert embedded_texts(backend) == [WIRE]
    ingest_articles([article(9, WIRE, source="paper-9")], store)
    assert embedded_texts(backend) == [WIRE]
    report = store.check_consistency()
    assert report.consistent and report.ready_articles == 6


def test_a_reingest_neither_chunks_nor_embeds(make_store, monkeypatch) -> None:
    backend = HashEmbeddings()
    store = make_store(backend)
    ingest_articles([article(i) for i in range(20)], store, batch_chunks=8)
    calls = []
    real_chunk = ingest_module.chunk_article
    monkeypatch.setattr(
        ingest_module, "chunk_article", lambda *a, **k: calls.append(1) or real_chunk(*a, **k)
    )
    before = len(embedded_texts(backend))
    items = ingest_articles([article(i) for i in range(20)], store)
    assert {i.status for i in items} == {"unchanged"}
    assert calls == [] and len(embedded_texts(backend)) == before


def test_loading_overlaps_embedding(make_store) -> None:
    backend = HashEmbeddings(delay_s=0.3)
    store = make_store(backend)
    loaded_during_embedding = []

    def slow_source() -> Iterator[Article]:
        for i in range(12):
            time.sleep(0.02)
            loaded_during_embedding.append(backend.active.is_set())
            yield article(i)

    items = ingest_articles(slow_source(), store, batch_chunks=3)
    assert len(items) == 12 and len(backend.batches) >= 3
    # While the model worked on a batch, the next articles were being loaded.
    assert any(loaded_during_embedding)


def test_memory_stays_bounded_however_long_the_input(make_store) -> None:
    store = make_store(HashEmbeddings())
    pulled = 0
    most_ahead = 0

    def endless() -> Iterator[Article]:
        nonlocal pulled
        for i in range(10**9):
            pulled += 1
            yield article(i)

    outcomes = iter_ingest(endless(), store, batch_chunks=4, queue_size=8)
    for done, _ in enumerate(outcomes, start=1):
        most_ahead = max(most_ahead, pulled - done)
        if done == 60:
            break
    outcomes.close()
    # Read ahead is bounded by the queue plus the batch being written, not by the input.
    assert most_ahead <= 8 + 4 + 2


def test_outcomes_keep_input_order_with_failures_and_duplicates(make_store) -> None:
    store = make_store(HashEmbeddings())
    items = [
        article(1),
        LoadFailure("bad.txt", "not text"),
        article(2),
        article(1),
        Article(text="   ", source="blank", lang="fr"),
        article(3),
    ]
    results = ingest_articles(items, store, batch_chunks=2)
    assert [(r.source, r.status) for r in results] == [
        ("wire-1", "added"),
        ("bad.txt", "failed"),
        ("wire-2", "added"),
        ("wire-1", "unchanged"),
        ("blank", "failed"),
        ("wire-3", "added"),
    ]


def test_a_loader_error_reaches_the_caller_and_stops_the_producer(make_store) -> None:
    store = make_store(HashEmbeddings())

    def broken() -> Iterator[Article]:
        yield article(1)
        raise RuntimeError("disk vanished")

    with pytest.raises(RuntimeError, match="disk vanished"):
        ingest_articles(broken(), store)
    assert not [t for t in threading.enumerate() if t.name == "ingest-prepare"]
    assert store.check_consistency().consistent
