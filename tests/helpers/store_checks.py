"""Assertions that a store holds exactly the expected articles, with all indexes in agreement."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.service import NewsService
from retrieval.articles import Article, Chunk
from retrieval.chunking import chunk_article
from retrieval.store import CollectionStore
from tests.helpers.corpus import GoodArticle

# One article in two versions: re-ingesting V2 must replace every trace of V1's number.
ARTICLE_V1 = (
    "Le barrage de Kakhovka a cédé le 6 juin.\n"
    "Plus de 40 000 habitants ont été évacués selon les autorités régionales."
)
ARTICLE_V2 = (
    "Le barrage de Kakhovka a cédé le 6 juin.\n"
    "Plus de 17 000 habitants ont été évacués selon les autorités régionales."
)


@dataclass(frozen=True)
class StoreSummary:
    articles: int
    chunks: int


def crash_after_vectors(store: CollectionStore, article: Article) -> list[Chunk]:
    """The first two steps of a write (pending catalog rows, then vectors), then "the process
    dies": what a crash between vectors and catalog leaves for the next open to repair."""
    chunks = chunk_article(article)
    store.catalog.begin([(article, chunks)])
    store.vectors.add(
        [c.id for c in chunks], [c.text for c in chunks], [{"article_id": article.id}] * len(chunks)
    )
    return chunks


def assert_exact_store(store: CollectionStore, expected: dict[str, str]) -> StoreSummary:
    """`expected` maps source -> article id: no other article, no duplicate, nothing half-done,
    catalog, lexical index and vectors all agreeing, every chunk findable in both indexes."""
    report = store.check_consistency()
    assert report.consistent, report
    records = store.catalog.articles()
    sources = [r.source for r in records]
    assert len(sources) == len(set(sources)), "two stored versions of one source"
    assert {r.source: r.article_id for r in records} == expected
    assert report.ready_articles == len(expected)
    assert report.vector_chunks == report.catalog_chunks

    # The lexical index holds exactly one row per chunk: no row of a purged or replaced chunk.
    with sqlite3.connect(f"file:{store.catalog.path}?mode=ro", uri=True) as db:
        fts = {row[0] for row in db.execute("SELECT rowid FROM chunks_fts")}
        chunk_rows = {row[0] for row in db.execute("SELECT rowid FROM chunks")}
    assert fts == chunk_rows, "lexical index out of step with the chunks"

    # Every chunk's own vector finds it first: the vector index is whole, not just counted.
    chunk_ids = sorted(store.catalog.all_chunk_ids())
    vectors = store.vectors.vectors(chunk_ids)
    assert set(vectors) == set(chunk_ids)
    for chunk_id, vector in vectors.items():
        best = store.vectors.search(vector, k=1)
        assert best and best[0][0] == chunk_id, f"vector search does not find {chunk_id}"
    return StoreSummary(len(records), len(chunk_ids))


def assert_lexically_findable(store: CollectionStore, articles: Sequence[GoodArticle]) -> None:
    for article in articles:
        found = store.catalog.lexical_search(article.fact, 5)
        chunks = store.catalog.ready_chunks([chunk_id for chunk_id, _ in found])
        assert any(article.fact in chunk.text for chunk in chunks.values()), article.fact


def assert_answers(
    service: NewsService, articles: Sequence[GoodArticle], collection: str | None = None
) -> None:
    """Each question is answered with an exact quote of its article that holds the fact."""
    store = service.store(collection)
    for article in articles:
        answer = service.ask(article.question, collections=[store.name])
        assert not answer.abstained, article.question
        top = answer.citations[0]
        assert article.fact in top.quote, (article.question, top.quote)
        text = store.catalog.article_text(top.article_id)
        assert text is not None and text[top.start : top.end] == top.quote
