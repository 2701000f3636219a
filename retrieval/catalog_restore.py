"""Rebuild a collection's catalog (text spans, BM25 rows, ready state) from the Chroma store.

For a shared Chroma server seen from a data directory that lost its catalog, or never had one
(a new host). Chroma keeps each chunk's text and metadata (article id, source, title, url,
date, language, start and end offsets) but not the article's full text: the article text is
rebuilt by placing every chunk at its offsets and filling the gaps, which are only the
whitespace between paragraphs, with line breaks. Every span a citation can quote, and every
sentence inside a chunk, is then character for character the original, at the same offsets.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from retrieval.articles import Article, Chunk
from retrieval.store import CollectionStore

PAGE = 5000


@dataclass(frozen=True)
class _RestoredArticle(Article):
    """An article whose id is the one recorded in Chroma, not a hash of the rebuilt text."""

    stored_id: str = ""

    @property
    def id(self) -> str:
        return self.stored_id


@dataclass(frozen=True)
class RestoreReport:
    added: int  # articles found in Chroma and made searchable in the catalog
    removed: int  # ready articles of the catalog that Chroma no longer holds
    skipped: int  # chunks without the metadata needed to place them


def _chunk_index(chunk_id: str) -> int:
    return int(chunk_id.rsplit("-", 1)[1])


def _article_text(chunks: list[tuple[int, int, int, str]]) -> str:
    parts: list[str] = []
    position = 0
    for _, start, end, text in sorted(chunks):
        if start > position:
            parts.append("\n" * (start - position))
        if start >= position:
            parts.append(text)
            position = end
    return "".join(parts)


def restore_catalog(store: CollectionStore) -> RestoreReport:
    """Make the catalog agree with Chroma: add the articles it lacks, drop those Chroma lost."""
    found: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)
    about: dict[str, dict[str, Any]] = {}
    skipped = 0
    collection = store.vectors.collection
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        ids = page["ids"]
        for chunk_id, text, meta in zip(ids, page["documents"], page["metadatas"], strict=True):
            meta = meta or {}
            try:
                article_id, start, end = meta["article_id"], int(meta["start"]), int(meta["end"])
                found[article_id].append((_chunk_index(chunk_id), start, end, text or ""))
            except (KeyError, ValueError, TypeError, IndexError):
                skipped += 1
                continue
            about.setdefault(article_id, meta)
        if len(ids) < PAGE:
            break
        offset += len(ids)

    # Under the store's write lock when it has one: no write is half-way meanwhile.
    lock = getattr(store, "lock", None)
    with lock.hold() if lock is not None else contextlib.nullcontext():
        catalog = store.catalog
        ready = {r.article_id for r in catalog.articles()}
        missing = [a for a in found if a not in ready]
        for i in range(0, len(missing), 200):
            batch = []
            for article_id in missing[i : i + 200]:
                meta = about[article_id]
                chunks = found[article_id]
                article = _RestoredArticle(
                    text=_article_text(chunks),
                    source=str(meta.get("source") or article_id),
                    title=str(meta.get("title") or ""),
                    url=meta.get("url"),
                    date=meta.get("date"),
                    lang=str(meta.get("lang") or "und"),
                    stored_id=article_id,
                )
                batch.append(
                    (article, [Chunk(article_id, n, s, e, t) for n, s, e, t in sorted(chunks)])
                )
            catalog.begin(batch)
            catalog.finish([a.id for a, _ in batch], [])
        gone = [a for a in ready if a not in found]
        if gone:
            catalog.mark_deleting(gone)
            catalog.purge(gone)
    return RestoreReport(added=len(missing), removed=len(gone), skipped=skipped)
