"""One named collection: catalog (text, spans, BM25) and Chroma vectors, kept in agreement.

Write order, so that a crash anywhere leaves a state the next open repairs:
1. catalog: articles recorded as 'pending' (not searchable);
2. Chroma: chunk vectors upserted (ids derive from article hash + position: idempotent);
3. catalog, one transaction: lexical rows written, articles 'ready', replaced versions 'deleting';
4. Chroma: vectors of replaced versions deleted; 5. catalog: replaced versions purged.
On open, 'pending' and 'deleting' articles have their vectors deleted and rows purged.

Every write holds the data directory's write lock (`write_lock`), so writers in several
processes (a CLI ingest beside the Discord bot) take turns: embedded Chroma corrupts its index
under concurrent writers, and a second process's repair would undo a write in progress.
Readers take no lock; they only ever see 'ready' articles.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import chromadb
import numpy as np

from retrieval.articles import Article, Chunk
from retrieval.catalog import AlsoIn, ArticleRecord, Catalog, ChunkRecord
from retrieval.embedding_cache import CachedEmbeddings
from retrieval.language_means import SAMPLE_PER_LANGUAGE, LanguageMeans, estimate_means
from retrieval.near_duplicates import Signature, best_match, signature
from retrieval.sentences import sentence_spans
from retrieval.vector_index import VectorIndex, check_collection_name
from retrieval.write_lock import write_lock

# Other processes may write meanwhile; a mean moves little with each article, so the
# language means are read again at most this often (and at once after this process writes).
MEANS_MAX_AGE_S = 300.0


@dataclass(frozen=True)
class PlannedArticle:
    article: Article
    chunks: Sequence[Chunk]
    replaces: Sequence[str]  # article ids of older versions from the same source
    signature: Signature | None = None  # for finding later copies of this story


@dataclass(frozen=True)
class ConsistencyReport:
    ready_articles: int
    catalog_chunks: int
    vector_chunks: int
    missing_vectors: int
    orphan_vectors: int
    unfinished_articles: int

    @property
    def consistent(self) -> bool:
        return not (self.missing_vectors or self.orphan_vectors or self.unfinished_articles)


class CollectionStore:
    def __init__(
        self,
        name: str,
        data_dir: Path,
        client: chromadb.ClientAPI,
        embeddings: CachedEmbeddings,
        rebuild: bool = False,
        embed_sentences: bool = False,
    ) -> None:
        self.name = check_collection_name(name)
        self.embeddings = embeddings
        # True: sentences are embedded at ingest too (slower ingest, no first-question cost).
        self.embed_sentences = embed_sentences
        self._means: tuple[float, LanguageMeans] | None = None
        self._means_lock = threading.Lock()
        self.lock = write_lock(data_dir)
        with self.lock.hold():
            self.catalog = Catalog(data_dir / "collections" / f"{name}.sqlite")
            # A rebuild that a crash interrupted is resumed: the catalog holds every text.
            rebuild = rebuild or self.catalog.get_meta("rebuild") == "running"
        if rebuild:
            # The slow part, without the lock: other processes keep asking the old vectors
            # and writing meanwhile; the locked pass below then finds the vectors cached.
            self._embed_stored_texts()
        with self.lock.hold():
            if rebuild:
                self.catalog.set_meta("rebuild", "running")
            self.vectors = VectorIndex(client, name, embeddings, reset=rebuild, lock=self.lock)
            self.repair()
            if rebuild:
                self._reembed_all()
                self.catalog.set_meta("rebuild", "done")

    def _stored_chunks(self, batch_articles: int = 32) -> Iterator[list[ChunkRecord]]:
        """Every stored chunk, a batch of articles at a time."""
        article_ids = [r.article_id for r in self.catalog.articles()]
        for i in range(0, len(article_ids), batch_articles):
            yield self.catalog.chunks_of(article_ids[i : i + batch_articles])

    def _embed_stored_texts(self) -> None:
        for chunks in self._stored_chunks():
            self.embeddings.embed_passages(
                self._passages([(c.article_text, c.start, c.end) for c in chunks])
            )

    def _reembed_all(self) -> None:
        """Vectors for every stored chunk from the catalog's text, with the current model."""
        for chunks in self._stored_chunks():
            self._embed_and_add(chunks)

    def _embed_and_add(self, chunks: Sequence[ChunkRecord]) -> None:
        texts = [c.text for c in chunks]
        # One batched pass over the model (a no-op when `write` embedded them before the lock).
        self.embeddings.embed_passages(
            self._passages([(c.article_text, c.start, c.end) for c in chunks])
        )
        metadatas = [
            {
                "article_id": c.article_id,
                "source": c.source,
                "title": c.title,
                "url": c.url,
                "date": c.date,
                "lang": c.lang,
                "start": c.start,
                "end": c.end,
            }
            for c in chunks
        ]
        self.vectors.add([c.chunk_id for c in chunks], texts, metadatas)

    def _passages(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        return texts_to_embed(spans, with_sentences=self.embed_sentences)

    def close(self) -> None:
        self.catalog.close()

    def language_means(self) -> LanguageMeans:
        """The mean chunk vector of each language stored here (see `language_means`)."""
        with self._means_lock:
            now = time.monotonic()
            if self._means is None or now - self._means[0] > MEANS_MAX_AGE_S:
                counts = self.catalog.chunk_counts_by_lang()
                samples = {}
                # Read even for one language: a search over several collections compares
                # this collection's language with the others'.
                for lang in counts:
                    ids = self.catalog.sample_chunk_ids(lang, SAMPLE_PER_LANGUAGE)
                    found = list(self.vectors.vectors(ids).values())
                    if found:
                        samples[lang] = np.stack(found)
                self._means = (now, estimate_means(samples, counts))
            return self._means[1]

    def _means_changed(self) -> None:
        with self._means_lock:
            self._means = None

    def repair(self) -> int:
        """Finish or undo what an interrupted run left; returns how many articles it touched."""
        with self.lock.hold():
            # Under the lock no other writer is half-way: anything unfinished is a crash's.
            pending, deleting = self.catalog.unfinished()
            stale = pending + deleting
            if stale:
                self.vectors.delete(self.catalog.chunk_ids(stale))
                self.catalog.purge(stale)
        return len(stale)

    def is_empty(self) -> bool:
        return self.catalog.ready_count() == 0

    def write(self, planned: Sequence[PlannedArticle]) -> None:
        if not planned:
            return
        # Embedding is the slow part and needs no lock: done first, the locked write below
        # finds every vector in the cache.
        self.embeddings.embed_passages(
            self._passages([(p.article.text, c.start, c.end) for p in planned for c in p.chunks])
        )
        with self.lock.hold():
            self.repair()  # a crashed writer in another process leaves work for the next one
            # Another process may have stored some of these since they were planned; writing
            # them again would hide them (back to 'pending') while this write runs.
            planned = [p for p in planned if not self._is_ready(p.article.id)]
            if not planned:
                return
            self.catalog.begin([(p.article, p.chunks) for p in planned])
            self.catalog.add_signatures(
                [(p.article.id, p.signature) for p in planned if p.signature is not None]
            )
            self._embed_and_add(self.catalog.chunks_of([p.article.id for p in planned]))
            replaced = [old for p in planned for old in p.replaces]
            self.catalog.finish([p.article.id for p in planned], replaced)
            self._remove(replaced)
        self._means_changed()

    def _is_ready(self, article_id: str) -> bool:
        record = self.catalog.article(article_id)
        return record is not None and record.state == "ready"

    def _remove(self, article_ids: Sequence[str]) -> None:
        if not article_ids:
            return
        with self.lock.hold():
            self.vectors.delete(self.catalog.chunk_ids(article_ids))
            self.catalog.purge(article_ids)
        self._means_changed()

    # --- near-duplicates ---------------------------------------------------------------------
    def find_copy_of(self, article: Article, sig: Signature) -> ArticleRecord | None:
        """The stored article (of another source) that tells the same story as `article`."""
        return find_copy_in(self.catalog, article, sig)

    def record_copy(self, kept: ArticleRecord, article: Article) -> bool:
        """Note `article` as another copy of `kept`; False when `kept` was removed meanwhile."""
        copy = AlsoIn(article.source, article.title, article.url, article.date)
        with self.lock.hold():
            return self.catalog.add_also_in(kept.article_id, copy)

    def sign_unsigned(self, batch: int = 500) -> int:
        """Signatures for articles stored without one (older versions, a sync); returns count."""
        done = 0
        while ids := self.catalog.unsigned_articles(batch):
            signed = [(i, signature(self.catalog.article_text(i) or "")) for i in ids]
            with self.lock.hold():
                self.catalog.add_signatures(signed)
            done += len(signed)
        return done

    def forget_copy(self, source: str) -> int:
        """Remove `source` from the also-in list that names it; 1 if it was there."""
        with self.lock.hold():
            return self.catalog.forget_also_in(source)

    def forget(self, source: str) -> list[ArticleRecord]:
        with self.lock.hold():
            records = self.catalog.articles(source=source)
            ids = [r.article_id for r in records]
            self.catalog.mark_deleting(ids)
            self._remove(ids)
        return records

    def check_consistency(self) -> ConsistencyReport:
        # Under the write lock: a write in progress elsewhere would look like an inconsistency.
        with self.lock.hold():
            catalog_ids = self.catalog.all_chunk_ids()
            vector_ids = self.vectors.all_ids()
            pending, deleting = self.catalog.unfinished()
        return ConsistencyReport(
            ready_articles=self.catalog.ready_count(),
            catalog_chunks=len(catalog_ids),
            vector_chunks=len(vector_ids),
            missing_vectors=len(catalog_ids - vector_ids),
            orphan_vectors=len(vector_ids - catalog_ids),
            unfinished_articles=len(pending) + len(deleting),
        )


def find_copy_in(catalog: Catalog, article: Article, sig: Signature) -> ArticleRecord | None:
    """The ready article of `catalog`, from another source, that tells `article`'s story."""
    if not sig.usable:
        return None
    records = [
        r
        for r in map(catalog.article, catalog.duplicate_candidates(sig))
        if r is not None and r.source != article.source
    ]
    texts = ((r.article_id, catalog.article_text(r.article_id) or "") for r in records)
    match = best_match(article.text, texts)
    return next((r for r in records if r.article_id == match), None)


def texts_to_embed(
    spans: Sequence[tuple[str, int, int]], with_sentences: bool = False
) -> list[str]:
    """Texts to embed for chunks given as (article text, start, end).

    The chunk texts; their sentences only `with_sentences` (NEWSBOT_SENTENCE_VECTORS=ingest, the
    default). Without them, search embeds a chunk's sentences the first time the chunk is a
    candidate for a question, and the cache keeps them (`search._score_sentences`): ingest reads
    about half the tokens, and that question waits. The vectors are the same whenever they are
    made.
    """
    chunks = [text[start:end] for text, start, end in spans]
    if not with_sentences:
        return chunks
    sentences = [
        text[s:e] for text, start, end in spans for s, e in sentence_spans(text, start, end)
    ]
    return chunks + sentences
