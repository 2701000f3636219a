"""Write many tiny articles through CollectionStore with a fast stand-in embedder.

    python -m tests.helpers.store_writer DATA_DIR FIRST COUNT [--no-lock]

Articles FIRST..FIRST+COUNT-1 are written in batches of 20, so several writers given
overlapping ranges write some of the same articles. The collection persists its vector index
every 100 additions (Chroma's default is 1,000), which makes index corruption from concurrent
writers show with a few thousand vectors instead of tens of thousands. `--no-lock` disables
the store's write lock and index reloads, to reproduce that corruption (see RELIABILITY.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.articles import Article
from retrieval.chunking import chunk_article
from retrieval.embedders import ArrayEmbeddings
from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
from retrieval.store import CollectionStore, PlannedArticle
from retrieval.vector_index import open_chroma_client

COLLECTION = "writers"
DIM = 64


class HashEmbeddings(ArrayEmbeddings):
    """A random unit vector per text, fixed by the text's hash: fast and deterministic."""

    model_id = "test:hash-64"
    dim = DIM

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
            vector = np.random.default_rng(seed).normal(size=DIM)
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), DIM)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


def article(n: int) -> Article:
    return Article(text=f"Record number {n} of the writers test.", source=f"record-{n}", lang="en")


def open_store(data_dir: Path) -> CollectionStore:
    embeddings = CachedEmbeddings(HashEmbeddings(), EmbeddingCache(data_dir / "embeddings.sqlite"))
    client = open_chroma_client(data_dir)
    client.get_or_create_collection(
        f"newsbot-{COLLECTION}",
        metadata={
            "hnsw:space": "cosine",
            "hnsw:sync_threshold": 100,
            "hnsw:batch_size": 50,
            "embedding_model": embeddings.model_id,
            "embedding_dim": DIM,
        },
    )
    return CollectionStore(COLLECTION, data_dir, client, embeddings)


class _NoLock:
    @contextlib.contextmanager
    def hold(self):  # type: ignore[no-untyped-def]
        yield


def main(argv: list[str]) -> int:
    data_dir, first, count = Path(argv[0]), int(argv[1]), int(argv[2])
    store = open_store(data_dir)
    if "--no-lock" in argv:
        # As before the lock existed: no lock, and no reload of what other processes wrote.
        store.lock = _NoLock()  # type: ignore[assignment]
        store.vectors._lock = None
        store.vectors._generation = None
    numbers = range(first, first + count)
    for i in range(0, count, 20):
        batch = [article(n) for n in numbers[i : i + 20]]
        store.write([PlannedArticle(a, chunk_article(a), []) for a in batch])
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
