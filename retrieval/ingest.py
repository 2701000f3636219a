"""Ingestion: loaded articles -> chunks -> (embedded once) -> store, with a per-item outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from retrieval.articles import Article
from retrieval.chunking import chunk_article
from retrieval.loading import LoadFailure
from retrieval.store import CollectionStore, PlannedArticle

Status = Literal["added", "unchanged", "updated", "failed"]


@dataclass(frozen=True)
class IngestItem:
    source: str
    status: Status
    reason: str = ""
    title: str = ""
    chunks: int = 0


def ingest_articles(
    items: Iterable[Article | LoadFailure],
    store: CollectionStore,
    on_item: Callable[[IngestItem], None] | None = None,
    batch_chunks: int = 64,
) -> list[IngestItem]:
    """Store every article not already stored; articles are written in batches of chunks."""
    results: list[IngestItem] = []
    planned: list[PlannedArticle] = []
    # Outcomes wait for their batch so that the report keeps the order of the input.
    pending_items: list[tuple[IngestItem, bool]] = []
    planned_ids: set[str] = set()
    count_tokens = store.embeddings.count_tokens

    def report(item: IngestItem, written: bool = False) -> None:
        if planned:
            pending_items.append((item, written))
            return
        results.append(item)
        if on_item:
            on_item(item)

    def flush() -> None:
        if not planned:
            return
        failure = ""
        try:
            store.write(planned)
        except Exception as error:
            # The batch is recorded as pending until written; repair undoes any half of it,
            # so a failure here loses nothing that was already stored.
            store.repair()
            failure = f"could not store: {error}"
        planned.clear()
        planned_ids.clear()
        outcomes = list(pending_items)
        pending_items.clear()
        for item, written in outcomes:
            if written and failure:
                item = IngestItem(item.source, "failed", failure, item.title)
            report(item)

    chunk_total = 0
    for item in items:
        if isinstance(item, LoadFailure):
            report(IngestItem(item.source, "failed", item.reason))
            continue
        article = item
        if article.id in planned_ids or store.catalog.article(article.id) is not None:
            report(IngestItem(article.source, "unchanged", title=article.title))
            continue
        if any(p.article.source == article.source for p in planned):
            # Two versions of one source in a batch: the later must see the earlier as stored.
            flush()
            chunk_total = 0
        older = [r.article_id for r in store.catalog.articles(source=article.source)]
        chunks = chunk_article(article, count_tokens=count_tokens)
        if not chunks:
            report(IngestItem(article.source, "failed", "no text to index", article.title))
            continue
        planned.append(PlannedArticle(article, chunks, older))
        planned_ids.add(article.id)
        status: Status = "updated" if older else "added"
        pending_items.append(
            (IngestItem(article.source, status, title=article.title, chunks=len(chunks)), True)
        )
        chunk_total += len(chunks)
        if chunk_total >= batch_chunks:
            flush()
            chunk_total = 0
    flush()
    return results
